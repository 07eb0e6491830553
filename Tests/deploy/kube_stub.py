"""A stand-in for the Kubernetes API's discovery endpoints on loopback, so `kubectl apply
--dry-run=client` runs without a cluster: kubectl needs to map each kind to its resource
(discovery) and asks whether each object exists (404 here, so each one would be created).
Nothing is stored; every write is refused. Only the kinds the manifests use are listed: an
unknown kind (a typo in apiVersion or kind) fails the dry run, as it would on a cluster."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESOURCES = {
    "v1": [("configmaps", "ConfigMap"), ("secrets", "Secret"), ("services", "Service"), ("namespaces", "Namespace")],
    "apps/v1": [("deployments", "Deployment")],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget")],
    "monitoring.coreos.com/v1": [("servicemonitors", "ServiceMonitor"), ("prometheusrules", "PrometheusRule")],
}


def resource_list(group_version: str) -> dict:
    return {
        "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
        "resources": [{"name": name, "singularName": kind.lower(), "namespaced": kind != "Namespace", "kind": kind,
                       "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
                      for name, kind in RESOURCES[group_version]],
    }


def group_list() -> dict:
    groups = []
    for group_version in RESOURCES:
        if "/" not in group_version:
            continue
        group, version = group_version.split("/")
        entry = {"groupVersion": group_version, "version": version}
        groups.append({"name": group, "versions": [entry], "preferredVersion": entry})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status: int, body: dict):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?")[0].rstrip("/")
        if path == "/api":
            return self.send(200, {"kind": "APIVersions", "versions": ["v1"],
                                   "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
        if path == "/apis":
            return self.send(200, group_list())
        if path == "/api/v1":
            return self.send(200, resource_list("v1"))
        if path.startswith("/apis/") and path.count("/") == 3 and path[len("/apis/"):] in RESOURCES:
            return self.send(200, resource_list(path[len("/apis/"):]))
        if path == "/version":
            return self.send(200, {"major": "1", "minor": "31", "gitVersion": "v1.31.0-stub"})
        # An object: it does not exist, so a dry run reports that it would be created.
        self.send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                        "message": "not found"})

    def do_POST(self):
        self.send(403, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
                        "message": "the stub stores nothing"})

    do_PUT = do_PATCH = do_DELETE = do_POST


class KubeStub:
    """`with KubeStub() as url:` serves on a free loopback port until the block ends."""

    def __enter__(self) -> str:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
