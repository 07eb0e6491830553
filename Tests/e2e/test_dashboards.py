"""The Grafana dashboard in dashboards/ is importable as is and only asks for what Ballast
exports: its structure is checked, every PromQL expression is parsed by promtool, and every
metric name it reads is a family a real Ballast serves on /metrics."""
import copy
import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from cloudfakes import FakeVertex
from conftest import BALLAST_BIN, ROOT, SIM_KEY, Process

DASHBOARD = ROOT / "dashboards" / "ballast-overview.json"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

# Grafana's interval variables become durations; every other variable becomes `.*`, which keeps
# `=~` matchers valid (the dashboard's own variables have allValue `.*` too).
INTERVALS = {"__rate_interval": "1m", "__interval": "1m", "__range": "5m"}
VARIABLE = re.compile(r"\$\{(\w+)(?::[\w-]+)?\}|\$(\w+)|\[\[(\w+)(?::[\w-]+)?\]\]")
GRAFANA_BUILTINS = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms"}

PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                   "offset", "inf", "nan", "atan2"}


# ----------------------------------------------------------------------------- helpers

def load_dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def all_panels(dashboard: dict):
    """Every panel, rows included, and the panels a collapsed row holds."""
    def walk(panels):
        for panel in panels:
            yield panel
            yield from walk(panel.get("panels", []))
    yield from walk(dashboard.get("panels", []))


def expressions(dashboard: dict) -> list[tuple[str, str]]:
    """(where, expr) for every target with a PromQL expression, where = 'panel ID "TITLE" REFID'."""
    found = []
    for panel in all_panels(dashboard):
        for target in panel.get("targets", []):
            if target.get("expr"):
                found.append((f'panel {panel["id"]} "{panel.get("title", "")}" {target.get("refId", "?")}',
                              target["expr"]))
    return found


def variables_used(expr: str) -> set[str]:
    return {next(g for g in m.groups() if g) for m in VARIABLE.finditer(expr)}


def substitute(expr: str) -> str:
    def replace(match):
        name = next(g for g in match.groups() if g)
        return INTERVALS.get(name, ".*")
    return VARIABLE.sub(replace, expr)


def structure_problems(dashboard: dict) -> list[str]:
    problems = []
    if not isinstance(dashboard.get("schemaVersion"), int) or dashboard["schemaVersion"] < 36:
        problems.append(f"schemaVersion {dashboard.get('schemaVersion')!r} is missing or below 36")
    if not dashboard.get("uid"):
        problems.append("no uid")
    if not dashboard.get("title"):
        problems.append("no title")
    variables = dashboard.get("templating", {}).get("list", [])
    if not any(v.get("name") == "datasource" and v.get("type") == "datasource" and v.get("query") == "prometheus"
               for v in variables):
        problems.append("templating has no `datasource` variable of type datasource for prometheus")
    defined = {v.get("name") for v in variables} | GRAFANA_BUILTINS
    seen_ids = set()
    for panel in all_panels(dashboard):
        name = f'panel {panel.get("id")} "{panel.get("title", "")}"'
        if panel.get("id") in seen_ids:
            problems.append(f"{name}: id used twice")
        seen_ids.add(panel.get("id"))
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in ("h", "w", "x", "y")):
            problems.append(f"{name}: gridPos missing or incomplete")
        if panel.get("datasource") != DATASOURCE:
            problems.append(f"{name}: datasource is {panel.get('datasource')!r}, not {DATASOURCE}")
        if panel.get("type") != "row" and not panel.get("targets"):
            problems.append(f"{name}: no targets")
        for target in panel.get("targets", []):
            if target.get("datasource") != DATASOURCE:
                problems.append(f"{name} {target.get('refId')}: datasource is {target.get('datasource')!r}")
            for variable in variables_used(target.get("expr", "")) - defined:
                problems.append(f"{name} {target.get('refId')}: unknown variable ${variable}")
    # No datasource anywhere (variables, annotations, ...) may name a fixed uid.
    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "datasource" and value != DATASOURCE:
                    problems.append(f"{path}.datasource is {value!r}, not the ${{datasource}} variable")
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")
    walk(dashboard, "$")
    return problems


def promtool_binary() -> str:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is not installed; `make deps` installs Debian's prometheus package")
    return binary


def promtool_check(exprs: list[tuple[str, str]], tmp: Path) -> subprocess.CompletedProcess:
    """Every expression as a recording rule in a group named after its panel, so promtool's
    message names the panel that failed. JSON is YAML, so the file needs no YAML library."""
    groups = [{"name": where, "rules": [{"record": f"dashboard:expr_{i}", "expr": substitute(expr)}]}
              for i, (where, expr) in enumerate(exprs)]
    rules = tmp / "dashboard-rules.yml"
    rules.write_text(json.dumps({"groups": groups}, indent=1))
    return subprocess.run([promtool_binary(), "check", "rules", str(rules)], capture_output=True, text=True,
                          timeout=30)


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects: identifiers left once strings, label matchers,
    range/offset brackets, grouping label lists, function calls and keywords are set aside."""
    text = re.sub(r'"(?:\\.|[^"\\])*"' + r"|'(?:\\.|[^'\\])*'", '""', substitute(expr))
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?", text):
        if match.group(2) or match.group(1).lower() in PROMQL_KEYWORDS:
            continue
        names.add(match.group(1))
    return names


def exported_names(exposition: str) -> set[str]:
    """Family names from `# TYPE` lines, with the series names a histogram adds."""
    names = set()
    for line in exposition.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[:2] == ["#", "TYPE"]:
            names.add(parts[2])
            if parts[3] == "histogram":
                names.update(parts[2] + suffix for suffix in ("_bucket", "_sum", "_count"))
            elif parts[3] == "summary":
                names.update(parts[2] + suffix for suffix in ("_sum", "_count"))
    return names


def unknown_metrics(exprs: list[tuple[str, str]], exported: set[str]) -> list[str]:
    return [f"{where}: {name}" for where, expr in exprs for name in sorted(metric_names(expr) - exported)]


# ----------------------------------------------------------------------------- a real Ballast

def full_config(upstream: str, dead_port: int, vertex: FakeVertex) -> str:
    # Every family's `# TYPE` line is written from start, without traffic, but five need config:
    # ballast_cache_* only with cache.enabled, ballast_token_refreshes_total only in oauth mode,
    # ballast_shared_* only with shared.redis (here a port where nothing listens: Ballast starts
    # and serves without Redis), ballast_trace_* only with tracing.otlp_endpoint (the same dead
    # port: spans would be dropped and counted), ballast_cloud_credential_refreshes_total only
    # with a cloud region whose credential is refreshed (a Vertex service account, weight 0).
    # The token is fetched lazily (on the first request), and this test sends none, so the token
    # endpoint is never called.
    return f"""
listen: 127.0.0.1:0
admin:
  listen: 127.0.0.1:0
store:
  path: ":memory:"
cache:
  enabled: true
shared:
  redis:
    url: "redis://127.0.0.1:{dead_port}"
tracing:
  otlp_endpoint: "http://127.0.0.1:{dead_port}"
upstream:
  auth:
    mode: oauth
    token_url: "{upstream}/oauth/token"
    client_id: dashboard-test
    client_secret_env: E2E_CLIENT_SECRET
  regions:
    - {{ name: primary, base_url: "{upstream}", weight: 100 }}
    - name: vertex-us-east5
      kind: vertex
      weight: 0
      project: {vertex.project}
      location: {vertex.location}
      endpoint: "{vertex.url}"
      credentials_file: "{vertex.credentials_path}"
      models: {{ "claude-sonnet-4-*": "claude-sonnet-4-5@20250929" }}
"""


@pytest.fixture(scope="module")
def exposition(sim, tmp_path_factory) -> str:
    tmp = tmp_path_factory.mktemp("dashboards")
    config = tmp / "ballast.yaml"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    vertex = FakeVertex(tmp_path_factory.mktemp("vertex"))
    config.write_text(full_config(sim.ready["regions"]["primary"], dead_port, vertex))
    process = Process([BALLAST_BIN, "serve", "--config", str(config)], tmp, "ballast",
                      env={"E2E_CLIENT_SECRET": SIM_KEY})
    try:
        response = httpx.get(f"http://{process.ready['admin']}/metrics", timeout=5)
        assert response.status_code == 200, response.text
        return response.text
    finally:
        process.stop()
        vertex.stop()


# ----------------------------------------------------------------------------- tests

def test_dashboard_structure():
    dashboard = load_dashboard()
    assert structure_problems(dashboard) == []
    assert dashboard["uid"] == "ballast-overview"
    assert dashboard["refresh"] == "10s" and dashboard["time"]["from"] == "now-1h"
    region = next(v for v in dashboard["templating"]["list"] if v["name"] == "region")
    assert region["type"] == "query" and region["multi"] and region["includeAll"]
    assert "label_values(ballast_route_weight, region)" in json.dumps(region["query"])
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert rows == ["Overview", "Latency", "Rate limits", "Retries & hedges", "Self-healing", "Migrations", "Capacity", "Cache",
                    "Telemetry health", "Credentials", "Shared mode", "Usage"]
    assert {p["type"] for p in all_panels(dashboard)} >= {"row", "timeseries", "stat", "state-timeline"}


def test_every_expression_parses(tmp_path):
    exprs = expressions(load_dashboard())
    assert len(exprs) >= 40, f"only {len(exprs)} expressions found; did the panel walk break?"
    result = promtool_check(exprs, tmp_path)
    assert result.returncode == 0, "promtool rejected the dashboard's PromQL (the group names the panel):\n" + \
        result.stdout + result.stderr


def test_every_metric_is_exported(exposition):
    exported = exported_names(exposition)
    families = {name for name in exported if not name.endswith(("_bucket", "_sum", "_count"))}
    assert len(families) >= 32, sorted(families)
    assert "ballast_cloud_credential_refreshes_total" in families
    exprs = expressions(load_dashboard())
    assert unknown_metrics(exprs, exported) == [], f"exported: {sorted(families)}"
    used = set().union(*(metric_names(expr) for _, expr in exprs))
    assert len(used) >= 30, sorted(used)


# The checks above must be able to fail.

def test_checks_catch_mistakes(tmp_path):
    exported = exported_names("# TYPE ballast_requests_total counter\n"
                              "# TYPE ballast_request_duration_seconds histogram\n")
    good = ('histogram_quantile(0.99, sum by (region, le) '
            '(rate(ballast_request_duration_seconds_bucket{region=~"${region}"}[$__rate_interval])))'
            ' / on (region) sum by (region) (rate(ballast_requests_total{code="429"}[5m]))')
    assert metric_names(good) == {"ballast_request_duration_seconds_bucket", "ballast_requests_total"}
    assert unknown_metrics([("good", good)], exported) == []
    bad = [("panel 98", 'sum(rate(ballast_made_up_total{class="x"}[$__rate_interval])) or balast_typo'),
           ("panel 99", "ballast_requests_total_bucket")]
    assert unknown_metrics(bad, exported) == ["panel 98: balast_typo", "panel 98: ballast_made_up_total",
                                              "panel 99: ballast_requests_total_bucket"]

    assert promtool_check([("panel 1 good", good)], tmp_path).returncode == 0
    broken = promtool_check([("panel 1 good", good), ("panel 7 broken", "sum(rate(ballast_requests_total[1m])")],
                            tmp_path)
    assert broken.returncode != 0
    assert "panel 7 broken" in broken.stdout + broken.stderr
    assert "panel 1 good" not in broken.stdout + broken.stderr
    # A variable outside a matcher is not hidden by the substitution.
    assert promtool_check([("panel 8", "rate(ballast_requests_total[$region])")], tmp_path).returncode != 0

    dashboard = load_dashboard()
    mutated = copy.deepcopy(dashboard)
    nested = next(p for p in all_panels(mutated) if p["type"] == "row" and p.get("panels"))["panels"][0]
    nested["targets"][0]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    mutated["panels"][2]["id"] = mutated["panels"][1]["id"]
    del mutated["panels"][3]["gridPos"]
    mutated["panels"][4]["targets"][0]["expr"] += ' + on() ballast_build_info{version="$nope"}'
    mutated["templating"]["list"] = [v for v in mutated["templating"]["list"] if v["name"] != "datasource"]
    mutated["schemaVersion"] = 27
    problems = "\n".join(structure_problems(mutated))
    for expected in ["schemaVersion 27", "no `datasource` variable", f'panel {nested["id"]} ', "id used twice",
                     "gridPos missing", "unknown variable $nope", "P1809F7CD0C75ACF3"]:
        assert expected in problems, f"{expected!r} not flagged in:\n{problems}"
