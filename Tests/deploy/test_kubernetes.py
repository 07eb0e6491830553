"""deploy/kubernetes: both kustomizations build, pass kubectl's client-side dry run (against a
loopback stand-in for the API's discovery, see kube_stub.py), validate strictly against the
Kubernetes 1.29 schemas (the first with native sidecars on by default), pass yamllint, and
agree with each other and with Ballast: the ConfigMaps' configs pass `ballast config check`
with the environment the Deployments give, probes hit the probe listener, the Service, PDB and
ServiceMonitor select the pods, and the generated rule manifests match rules/."""
import subprocess

import pytest
import yaml

from deploy_support import BALLAST_BIN, ROOT, tool
from kube_stub import KubeStub

KUBE = ROOT / "deploy" / "kubernetes"
VARIANTS = ["sidecar", "shared"]
SCHEMA_VERSION = "1.29"


def run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)


def render(variant: str) -> list:
    result = run([tool("kubectl"), "kustomize", str(KUBE / variant)])
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(docs, kind):
    return [doc for doc in docs if doc["kind"] == kind]


@pytest.mark.parametrize("variant", VARIANTS)
def test_client_side_dry_run(variant):
    with KubeStub() as server:
        result = run([tool("kubectl"), "apply", "--dry-run=client", "--validate=false", "--kubeconfig", "/dev/null",
                      "--server", server, "--namespace", "default", "-k", str(KUBE / variant)])
    assert result.returncode == 0, result.stderr
    created = [line for line in result.stdout.splitlines() if line.endswith("created (dry run)")]
    assert len(created) == len(render(variant)), result.stdout


def test_the_dry_run_refuses_an_unknown_kind(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\nspec: {}\n")
    with KubeStub() as server:
        result = run([tool("kubectl"), "apply", "--dry-run=client", "--validate=false", "--kubeconfig", "/dev/null",
                      "--server", server, "--namespace", "default", "-f", str(bad)])
    assert result.returncode != 0 and "Deploymnet" in result.stderr, result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_schemas_strictly(variant, tmp_path):
    rendered = tmp_path / f"{variant}.yaml"
    rendered.write_text(yaml.safe_dump_all(render(variant)))
    result = run([tool("kubernetes-validate"), "--strict", "--kubernetes-version", SCHEMA_VERSION, str(rendered)])
    assert result.returncode == 0, result.stdout + result.stderr
    passed = result.stdout.count("passed for resource")
    crds = sum(1 for doc in render(variant) if doc["apiVersion"].startswith("monitoring.coreos.com/"))
    # The Prometheus Operator's kinds have no schema there: they are checked below.
    assert passed == len(render(variant)) - crds, result.stdout


def test_strict_schemas_would_catch_a_misplaced_field(tmp_path):
    docs = render("sidecar")
    deployment = by_kind(docs, "Deployment")[0]
    deployment["spec"]["template"]["spec"]["initContainers"][0]["restartPolicies"] = "Always"
    rendered = tmp_path / "bad.yaml"
    rendered.write_text(yaml.safe_dump_all(docs))
    result = run([tool("kubernetes-validate"), "--strict", "--kubernetes-version", SCHEMA_VERSION, str(rendered)])
    assert result.returncode != 0 and "restartPolicies" in result.stdout + result.stderr


def test_yamllint():
    result = run([tool("yamllint"), "--strict", "-c", str(ROOT / "deploy" / ".yamllint"), str(ROOT / "deploy")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_manifests_match_rules():
    result = run(["python3", str(KUBE / "generate.py"), "--check"])
    assert result.returncode == 0, result.stdout
    shipped = {path.name: path.read_text() for path in (ROOT / "rules").glob("*.yaml")}
    configmap = by_kind(render("shared"), "ConfigMap")
    assert next(c for c in configmap if c["metadata"]["name"] == "ballast-rules")["data"] == shipped


def test_prometheus_rule_passes_promtool(tmp_path):
    rule = by_kind(render("shared"), "PrometheusRule")[0]
    alerts = yaml.safe_load((ROOT / "rules" / "prometheus" / "ballast-alerts.yml").read_text())
    assert rule["spec"] == alerts
    extracted = tmp_path / "rules.yml"
    extracted.write_text(yaml.safe_dump(rule["spec"]))
    result = run([tool("promtool"), "check", "rules", str(extracted)])
    assert result.returncode == 0, result.stdout + result.stderr


def container_env(container) -> dict:
    """The container's variables with a stand-in value for each (secrets are not read)."""
    return {entry["name"]: entry.get("value", f"stand-in-{entry['name'].lower()}") for entry in container.get("env", [])}


def ballast_container(deployment):
    spec = deployment["spec"]["template"]["spec"]
    return next(c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == "ballast")


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_config_is_valid_with_the_pods_environment(variant, tmp_path):
    docs = render(variant)
    deployment = by_kind(docs, "Deployment")[0]
    container = ballast_container(deployment)
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    # Lay out the pod's files as mounted: the config map and the rules at their paths.
    configs = {c["metadata"]["name"]: c["data"] for c in by_kind(docs, "ConfigMap")}
    root = tmp_path / "pod"
    for name, path in mounts.items():
        target = root / path.lstrip("/")
        target.mkdir(parents=True)
        for key, text in configs.get(volumes[name].get("configMap", {}).get("name"), {}).items():
            (target / key).write_text(text)
    config_path = container["args"][container["args"].index("--config") + 1]
    config_file = root / config_path.lstrip("/")
    text = config_file.read_text().replace("/etc/ballast/", str(root / "etc" / "ballast") + "/")
    text = text.replace("/var/lib/ballast/", str(root / "var" / "lib" / "ballast") + "/")
    config_file.write_text(text)
    env = {"PATH": "/usr/bin:/bin", **container_env(container)}
    result = run([BALLAST_BIN, "config", "check", "--config", str(config_file)], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# rule files: 5" in result.stdout, result.stdout
    config = yaml.safe_load(text)
    # The probe listener is where the probes and the metrics port point.
    probe_port = int(config["admin"]["probe_listen"].rsplit(":", 1)[1])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["probes"] == probe_port
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "probes"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "probes"}
    # The kubelet's SIGKILL comes after the drain.
    shutdown = config.get("shutdown", {})
    seconds = lambda text: float(str(text).rstrip("s"))
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > \
        seconds(shutdown.get("delay", "5s")) + seconds(shutdown.get("grace", "30s"))


def test_sidecar_is_native_and_the_app_points_at_it():
    deployment = by_kind(render("sidecar"), "Deployment")[0]
    spec = deployment["spec"]["template"]["spec"]
    sidecar = spec["initContainers"][0]
    assert sidecar["name"] == "ballast" and sidecar["restartPolicy"] == "Always"
    assert "startupProbe" in sidecar, "the application must start only once Ballast is ready"
    app = spec["containers"][0]
    assert {"name": "ANTHROPIC_BASE_URL", "value": "http://127.0.0.1:8080"} in app["env"]


def test_shared_gateway_objects_select_each_other():
    docs = render("shared")
    deployment = by_kind(docs, "Deployment")[0]
    assert deployment["spec"]["replicas"] == 3
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selects = lambda selector: all(pod_labels.get(k) == v for k, v in selector.items())
    service = by_kind(docs, "Service")[0]
    assert selects(service["spec"]["selector"])
    pdb = by_kind(docs, "PodDisruptionBudget")[0]
    assert selects(pdb["spec"]["selector"]["matchLabels"]) and pdb["spec"]["minAvailable"] < 3
    monitor = by_kind(docs, "ServiceMonitor")[0]
    assert all(service["metadata"]["labels"].get(k) == v for k, v in monitor["spec"]["selector"]["matchLabels"].items())
    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    container_ports = {p["name"] for p in ballast_container(deployment)["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["port"] in service_ports and endpoint["path"] == "/metrics"
    assert all(p["targetPort"] in container_ports for p in service_ports.values())
    # Redis comes from a Secret, never from the ConfigMap.
    secret_refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in ballast_container(deployment)["env"] if "valueFrom" in e}
    assert "ballast-redis" in secret_refs
