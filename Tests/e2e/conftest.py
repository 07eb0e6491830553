"""End-to-end fixtures: a real `ballast-lab simulate` and a real `ballast serve`, as processes on
loopback ports chosen by the kernel, with the official anthropic SDK as the client."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BALLAST_BIN = os.environ.get("BALLAST_BIN", str(ROOT / ".build" / "debug" / "ballast"))
# The lab (`simulate`, `demo`, `bench`): a second executable, never shipped.
BALLAST_LAB_BIN = os.environ.get("BALLAST_LAB_BIN", str(ROOT / ".build" / "debug" / "ballast-lab"))
SIM_KEY = "sk-sim-e2e"


def wait_for_file(path: Path, proc: subprocess.Popen, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.02)
    raise TimeoutError(f"{path} did not appear")


class Process:
    """A child process that is always stopped, even when a test fails."""

    def __init__(self, args, tmp: Path, name: str, env=None):
        self.ready_path = tmp / f"{name}.ready.json"
        self.log_path = tmp / f"{name}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args + ["--ready-file", str(self.ready_path)], stdout=self.log,
                                     stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        self.ready = wait_for_file(self.ready_path, self.proc)

    def stop(self, sig=signal.SIGINT, timeout=15.0) -> int:
        # SIGINT, not SIGTERM: a `serve` keeps accepting for `shutdown.delay` (5 s by default)
        # after SIGTERM, for a load balancer to catch up; SIGINT drains at once. The SIGTERM
        # sequence has tests of its own (test_shutdown.py).
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def logs(self) -> str:
        self.log.flush()
        return self.log_path.read_text()


SIM_CONFIG = """
seed: 7
regions:
  - name: primary
    listen: 127.0.0.1:0
    api_key: {key}
    latency: {{ first_byte: {{ median: 20ms, spread: 0.2 }}, token_interval: 2ms }}
    output: {{ min_tokens: 20, max_tokens: 60 }}
  - name: secondary
    listen: 127.0.0.1:0
    api_key: {key}
    latency: {{ first_byte: {{ median: 20ms, spread: 0.2 }}, token_interval: 2ms }}
    output: {{ min_tokens: 20, max_tokens: 60 }}
"""


def ballast_config(primary: str, secondary: str, drain: str = "10s") -> str:
    return f"""
listen: 127.0.0.1:0
admin:
  listen: 127.0.0.1:0
server:
  drain_timeout: {drain}
upstream:
  auth:
    mode: static
    api_key_env: E2E_UPSTREAM_KEY
  timeouts: {{ connect: 1s, first_byte: 10s, idle: 10s, total: 60s }}
  regions:
    - {{ name: primary, base_url: "{primary}", weight: 100 }}
    - {{ name: secondary, base_url: "{secondary}", weight: 0 }}
"""


@pytest.fixture(scope="session")
def sim(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sim")
    config = tmp / "sim.yaml"
    config.write_text(SIM_CONFIG.format(key=SIM_KEY))
    process = Process([BALLAST_LAB_BIN, "simulate", "--config", str(config)], tmp, "sim")
    yield process
    process.stop()


def start_ballast(tmp: Path, primary: str, secondary: str, name: str = "ballast", drain: str = "10s") -> Process:
    config = tmp / f"{name}.yaml"
    config.write_text(ballast_config(primary, secondary, drain))
    return Process([BALLAST_BIN, "serve", "--config", str(config)], tmp, name, env={"E2E_UPSTREAM_KEY": SIM_KEY})


@pytest.fixture(scope="session")
def ballast(sim, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ballast")
    regions = sim.ready["regions"]
    process = start_ballast(tmp, regions["primary"], regions["secondary"])
    yield process
    process.stop()


@pytest.fixture()
def proxy_url(ballast) -> str:
    return "http://" + ballast.ready["proxy"]


@pytest.fixture()
def admin_url(ballast) -> str:
    return "http://" + ballast.ready["admin"]


def eventually(check, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def sim_stats(base_url: str) -> dict:
    return httpx.get(base_url + "/_sim/stats", timeout=5).json()
