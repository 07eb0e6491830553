"""The control plane against a real `ballast serve`: schemathesis fuzzes the control API from
docs/control-api.yaml, the `ballast status/drain/...` CLI drives it, and headless Chromium
(Debian's package) renders the status page."""
import json
import os
import shutil
import subprocess
import zlib
from pathlib import Path

import anthropic
import httpx
import pytest

from conftest import BALLAST_BIN, ROOT, SIM_KEY, Process, sim_stats

TOKEN = "e2e-admin-token-5f1c"
MODEL = "claude-sonnet-4-6"


def control_config(tmp: Path, primary: str, secondary: str, open_page: bool) -> Path:
    config = tmp / "ballast.yaml"
    config.write_text(f"""
listen: 127.0.0.1:0
admin: {{ listen: 127.0.0.1:0, open: {str(open_page).lower()} }}
store: {{ path: "{tmp / 'ballast.db'}" }}
rules: {{ paths: ["{ROOT / 'rules' / '*.yaml'}"] }}
upstream:
  auth: {{ mode: static, api_key_env: E2E_UPSTREAM_KEY }}
  timeouts: {{ connect: 1s, first_byte: 10s, idle: 10s, total: 60s }}
  regions:
    - {{ name: primary, base_url: "{primary}", weight: 1 }}
    - {{ name: secondary, base_url: "{secondary}", weight: 1 }}
""")
    return config


def start(tmp: Path, sim, open_page: bool = False) -> Process:
    regions = sim.ready["regions"]
    config = control_config(tmp, regions["primary"], regions["secondary"], open_page)
    return Process([BALLAST_BIN, "serve", "--config", str(config)], tmp, "ballast",
                   env={"E2E_UPSTREAM_KEY": SIM_KEY, "BALLAST_ADMIN_TOKEN": TOKEN})


@pytest.fixture()
def controlled(sim, tmp_path):
    process = start(tmp_path, sim)
    yield process
    process.stop()


def cli(admin: str, *args, token: str | None = TOKEN) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BALLAST_ADMIN_TOKEN"}
    if token is not None:
        env["BALLAST_ADMIN_TOKEN"] = token
    env["USER"] = "e2e"
    return subprocess.run([BALLAST_BIN, *args, "--admin", admin], capture_output=True, text=True, env=env, timeout=30)


def send(proxy: str, count: int) -> None:
    client = anthropic.Anthropic(base_url="http://" + proxy, api_key="client-key", max_retries=0)
    for _ in range(count):
        client.messages.create(model=MODEL, max_tokens=32, messages=[{"role": "user", "content": "hello"}])


def test_schemathesis_finds_no_server_error_and_no_schema_violation(controlled):
    admin = "http://" + controlled.ready["admin"]
    send(controlled.ready["proxy"], 10)
    result = subprocess.run(
        [str(Path(os.sys.executable).parent / "schemathesis"), "run", str(ROOT / "docs" / "control-api.yaml"),
         "--url", admin, "-H", f"Authorization: Bearer {TOKEN}",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                     "response_schema_conformance,response_headers_conformance",
         "--phases", "coverage,fuzzing", "--max-examples", "25", "--seed", "20261126", "--workers", "1"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert controlled.proc.poll() is None, "Ballast died under the fuzzer:\n" + controlled.logs()[-3000:]


def test_the_cli_steers_a_running_ballast(controlled, sim):
    admin = controlled.ready["admin"]
    proxy = controlled.ready["proxy"]
    status = cli(admin, "status")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert any(line.startswith("REGION") and "WEIGHT" in line and "P99" in line for line in lines), status.stdout
    assert any(line.startswith("primary") and "serving" in line for line in lines), status.stdout

    drained = cli(admin, "drain", "primary", "--reason", "e2e maintenance", "--ttl", "10m")
    assert drained.returncode == 0, drained.stderr
    assert "primary: drained, weight 0" in drained.stdout
    before = sim_stats(sim.ready["regions"]["primary"])["requests_received"]
    send(proxy, 8)
    assert sim_stats(sim.ready["regions"]["primary"])["requests_received"] == before, "a request reached the drained region"

    document = json.loads(cli(admin, "status", "--json").stdout)
    primary = next(r for r in document["regions"] if r["name"] == "primary")
    assert primary["state"] == "drained" and primary["weight"] == 0
    assert document["overrides"][0]["actor"] == "operator:e2e"
    assert document["overrides"][0]["reason"] == "e2e maintenance"

    assert cli(admin, "degrade", "1", "--reason", "token budget").returncode == 0
    assert "level 1 of" in cli(admin, "status").stdout
    assert cli(admin, "degrade", "clear", "--reason", "done").returncode == 0
    assert cli(admin, "circuit", "open", "region=secondary", "--reason", "x").returncode != 0, \
        "opening the last region's circuit must be refused while primary is drained"
    assert cli(admin, "restore", "primary", "--reason", "maintenance over").returncode == 0
    reload = cli(admin, "reload", "--reason", "e2e")
    assert reload.returncode == 0 and "reloaded:" in reload.stdout, reload.stderr

    unknown = cli(admin, "drain", "nowhere", "--reason", "x")
    assert unknown.returncode != 0 and "no region named 'nowhere'" in unknown.stderr
    no_reason = cli(admin, "drain", "primary")
    assert no_reason.returncode != 0 and "--reason" in no_reason.stderr
    no_token = cli(admin, "status", token=None)
    assert no_token.returncode != 0 and "BALLAST_ADMIN_TOKEN" in no_token.stderr
    wrong = cli(admin, "status", token="wrong")
    assert wrong.returncode != 0 and "401" in wrong.stderr
    assert TOKEN not in controlled.logs(), "the admin token must never be logged"


def png_is_not_blank(path: Path) -> bool:
    """Decodes the PNG's image data and checks it holds more than one colour."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat = 8, b""
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        if kind == b"IDAT":
            idat += data[position + 8:position + 8 + length]
        position += 12 + length
    pixels = zlib.decompress(idat)
    return len(set(pixels[i:i + 4] for i in range(0, min(len(pixels), 4_000_000), 4093))) > 8


def test_the_status_page_renders_in_headless_chromium(sim, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail("chromium is not installed; `make deps` installs Debian's chromium package")
    process = start(tmp_path, sim, open_page=True)
    try:
        send(process.ready["proxy"], 12)
        admin = "http://" + process.ready["admin"]
        httpx.post(admin + "/control/v1/regions/secondary/drain", headers={"authorization": f"Bearer {TOKEN}"},
                   json={"reason": "shown on the page"}, timeout=5).raise_for_status()
        common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                  "--no-first-run", f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1280,1600"]
        dom = subprocess.run(common + ["--dump-dom", admin + "/"], capture_output=True, text=True, timeout=90)
        assert dom.returncode == 0, dom.stderr[-2000:]
        html = dom.stdout
        assert 'data-region="primary"' in html and 'data-region="secondary"' in html, html[:2000]
        assert 'id="degradation-level">0<' in html
        assert "drained" in html and "shown on the page" in html, "the drain and its reason must be on the page"
        assert html.count("<svg") >= 6, "three charts per region"
        assert "req/s" in html and " ms<" in html, "the rate and p99 figures must be shown"
        shot = tmp_path / "status.png"
        result = subprocess.run(common + [f"--screenshot={shot}", admin + "/"], capture_output=True, text=True, timeout=90)
        assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
        assert shot.stat().st_size > 10_000
        assert png_is_not_blank(shot)
    finally:
        process.stop()


def test_the_cli_names_the_field_when_an_answer_has_another_shape():
    """Something else on the admin port, or a Ballast of another version: the CLI says which
    field did not fit, on one line, and fails; it neither crashes nor prints zeros."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"version": "0.0.1", "regions": [{"name": "primary"}]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = cli(f"127.0.0.1:{server.server_address[1]}", "status")
    finally:
        server.shutdown()
    assert result.returncode != 0
    assert "the answer to GET /control/v1/status is not what this ballast expects" in result.stderr, result.stderr
    assert "is missing" in result.stderr and "Fatal error" not in result.stderr, result.stderr
