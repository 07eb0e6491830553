"""A real Prometheus server (Debian's package) scrapes Ballast's /metrics on loopback and
answers PromQL over what it scraped."""
import shutil
import socket
import subprocess
import time

import anthropic
import httpx
import pytest

from conftest import eventually

MODEL = "claude-sonnet-4-6"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def prometheus(ballast, tmp_path):
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed; `make deps` installs Debian's prometheus package")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ballast
    static_configs:
      - targets: ["{ballast.ready['admin']}"]
""")
    log = open(tmp_path / "prometheus.log", "w")
    proc = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        assert eventually(lambda: _ready(base), timeout=30), (tmp_path / "prometheus.log").read_text()
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def _ready(base: str) -> bool:
    try:
        return httpx.get(base + "/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def query(base: str, promql: str):
    result = httpx.get(base + "/api/v1/query", params={"query": promql}, timeout=5).json()
    assert result["status"] == "success", result
    return result["data"]["result"]


def test_prometheus_scrapes_ballast_and_answers_queries(prometheus, proxy_url):
    client = anthropic.Anthropic(base_url=proxy_url, api_key="sk-e2e", max_retries=0)
    # Traffic over several scrapes, so rate() has at least two samples that differ.
    deadline = time.monotonic() + 6
    sent = 0
    while time.monotonic() < deadline:
        client.messages.create(model=MODEL, max_tokens=20, messages=[{"role": "user", "content": f"n{sent}"}])
        sent += 1
        time.sleep(0.05)

    def rate_visible():
        series = query(prometheus, "sum(rate(ballast_requests_total[1m]))")
        return bool(series) and float(series[0]["value"][1]) > 0

    assert eventually(rate_visible, timeout=30)

    def successes():
        total = query(prometheus, 'sum(ballast_requests_total{class="success",model="%s"})' % MODEL)
        return float(total[0]["value"][1]) if total else 0.0

    # The scrape after the last request may still be a second away: wait for it.
    eventually(lambda: successes() >= sent, timeout=10)
    assert successes() >= sent
    p99 = query(prometheus, "histogram_quantile(0.99, sum(rate(ballast_request_duration_seconds_bucket[1m])) by (le))")
    assert p99 and 0 < float(p99[0]["value"][1]) < 10
    up = query(prometheus, 'up{job="ballast"}')
    assert float(up[0]["value"][1]) == 1
