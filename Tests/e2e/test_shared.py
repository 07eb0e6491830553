"""Shared mode end to end: a real redis-server (started here, no persistence), one simulator
and three `ballast serve` instances sharing one organisation-wide rate limit, one cache with
cross-instance single-flight, operator overrides and membership. Load-heavy checks are kept
short (the whole module runs in well under a minute)."""
import asyncio
import concurrent.futures
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import BALLAST_BIN, BALLAST_LAB_BIN, SIM_KEY, Process, eventually, sim_stats

TOKEN = "e2e-shared-admin-token"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def redis_cli(port: int, *command: str) -> str:
    """`redis-cli -p port command...`'s output. redis-cli ships with redis-server, which
    `make deps` installs: without it the test fails saying so, never skips the check."""
    binary = shutil.which("redis-cli") or str(Path(REDIS).with_name("redis-cli"))
    if not os.access(binary, os.X_OK):
        pytest.fail("redis-cli is not installed (it ships with redis-server; `make deps` installs the redis-server package)")
    result = subprocess.run([binary, "-p", str(port), *command], capture_output=True, text=True, timeout=5)
    assert result.returncode == 0, result.stderr
    return result.stdout

SIM = """
seed: 11
regions:
  - name: limited
    listen: 127.0.0.1:0
    api_key: {key}
    threads: 4
    latency: {{ first_byte: {{ median: 15ms, spread: 0.1 }}, token_interval: 1ms }}
    output: {{ min_tokens: 5, max_tokens: 10 }}
    faults:
      rate_limit: {{ requests_per_second: 150, burst: 30 }}
  - name: primary
    listen: 127.0.0.1:0
    api_key: {key}
    latency: {{ first_byte: {{ median: 80ms, spread: 0.1 }}, token_interval: 1ms }}
    output: {{ min_tokens: 5, max_tokens: 10 }}
  - name: secondary
    listen: 127.0.0.1:0
    api_key: {key}
    latency: {{ first_byte: {{ median: 20ms, spread: 0.1 }}, token_interval: 1ms }}
    output: {{ min_tokens: 5, max_tokens: 10 }}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    def __init__(self, port: int, tls: Path | None = None):
        """`tls`: a directory with ca.pem, server.pem and server.key: serve TLS only."""
        self.port = port
        listen = ["--port", "0", "--tls-port", str(port), "--tls-cert-file", str(tls / "server.pem"),
                  "--tls-key-file", str(tls / "server.key"), "--tls-ca-cert-file", str(tls / "ca.pem"),
                  "--tls-auth-clients", "no"] if tls else ["--port", str(port)]
        self.proc = subprocess.Popen([REDIS, *listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                      "--loglevel", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert eventually(self.listening, timeout=5), "redis-server did not start"

    def listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def redis():
    server = Redis(free_port())
    yield server
    server.kill()


@pytest.fixture(scope="module")
def shared_sim(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shared-sim")
    config = tmp / "sim.yaml"
    config.write_text(SIM.format(key=SIM_KEY))
    process = Process([BALLAST_LAB_BIN, "simulate", "--config", str(config)], tmp, "sim")
    yield process
    process.stop()


def make_certificates(directory: Path) -> Path:
    """A CA and a server certificate it signed for 127.0.0.1, made with `openssl`."""
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    (directory / "server.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for command in (
        ["req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=e2e-ca"],
        ["req", *key, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
         "-days", "2", "-extfile", "server.ext"],
    ):
        subprocess.run(["openssl", *command], cwd=directory, check=True, capture_output=True)
    return directory


def start_instances(tmp: Path, redis_port: int, prefix: str, regions, count: int = 3, extra: str = "",
                    scheme: str = "redis", redis_extra: str = "") -> list:
    """`regions`: (name, url, weight) tuples for every instance, or a function of the instance's
    index returning them."""
    instances = []
    for index in range(count):
        own = regions(index) if callable(regions) else regions
        region_lines = "\n".join(f'    - {{ name: {name}, base_url: "{url}", weight: {weight} }}' for name, url, weight in own)
        name = f"{prefix}{index}"
        config = tmp / f"{name}.yaml"
        config.write_text(f"""
listen: 127.0.0.1:0
admin:
  listen: 127.0.0.1:0
  token_env: E2E_ADMIN_TOKEN
store:
  path: {tmp / (name + '.db')}
upstream:
  auth: {{ mode: static, api_key_env: E2E_UPSTREAM_KEY }}
  timeouts: {{ connect: 1s, first_byte: 10s, idle: 10s, total: 30s }}
  hedge: {{ enabled: false }}
  regions:
{region_lines}
shared:
  redis:
    url: "{scheme}://127.0.0.1:{redis_port}"
    key_prefix: "{prefix}:"{redis_extra}
    local_share: 0.34
    command_timeout: 1s
{extra}
""")
        instances.append(Process([BALLAST_BIN, "serve", "--config", str(config)], tmp, name,
                                 env={"E2E_UPSTREAM_KEY": SIM_KEY, "E2E_ADMIN_TOKEN": TOKEN}))
    return instances


def stop_all(instances):
    for instance in instances:
        instance.stop()


def admin(instance, method: str, path: str, **kwargs):
    return httpx.request(method, "http://" + instance.ready["admin"] + path,
                         headers={"authorization": f"Bearer {TOKEN}"}, timeout=5, **kwargs)


def metric(instance, name: str) -> float:
    text = httpx.get("http://" + instance.ready["admin"] + "/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise KeyError(name)


BODY = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def drained_on(instance, region: str) -> bool:
    regions = admin(instance, "GET", "/control/v1/regions").json()["regions"]
    return any(r["name"] == region and r["state"] == "drained" for r in regions)


def assert_all_go_to_secondary(instances, count: int, primary_url: str):
    """`count` requests through each instance, all answered by `secondary`; the primary
    simulator receives none of them."""
    before = sim_stats(primary_url)["requests_received"]
    for instance in instances:
        for _ in range(count):
            response = httpx.post("http://" + instance.ready["proxy"] + "/v1/messages", json=BODY, timeout=10)
            assert response.status_code == 200
            assert response.headers["x-ballast-region"] == "secondary"
    assert sim_stats(primary_url)["requests_received"] == before


def test_shared_rate_limit_three_instances(redis, shared_sim, tmp_path):
    """150 req/s for the organisation, 80 req/s offered to each of three instances (1.6x)."""
    limited = shared_sim.ready["regions"]["limited"]
    instances = start_instances(tmp_path, redis.port, "rate", [("limited", limited, 100)])
    try:
        warm = httpx.post("http://" + instances[0].ready["proxy"] + "/v1/messages", json=BODY, timeout=10)
        assert warm.status_code == 200
        before = sim_stats(limited)
        # 80 req/s each, not 100: on two cores shared with three instances, a simulator and
        # Redis, the Python generators once managed only 257 of 300 req/s (a clean-clone run).
        duration, rate = 8.0, 80.0
        # One load process per instance: one Python process cannot offer 240 req/s.
        with concurrent.futures.ProcessPoolExecutor(max_workers=3) as pool:
            start_at = time.time() + 0.5
            runs = [pool.submit(load_one, "http://" + i.ready["proxy"], rate, duration, start_at) for i in instances]
            results = [r for run in runs for r in run.result()]
        after = sim_stats(limited)
        cuts = sum(metric(i, "ballast_shared_rate_cuts_total") for i in instances)
    finally:
        stop_all(instances)
    attempts = after["requests_received"] - before["requests_received"]
    upstream_429 = after["responses_by_status"].get("429", 0) - before["responses_by_status"].get("429", 0)
    # Goodput over the steady part: from 1 s after the first send to the last send (the
    # client's own pace decides the span: a loaded machine sends later than planned).
    last_sent = max(r[2] for r in results)
    offered = len(results) / last_sent
    steady = [r for r in results if 1.0 <= r[0] < last_sent]
    window = last_sent - 1.0
    good = sum(1 for r in steady if r[1] == 200) / window
    print(f"offered {offered:.0f}/s in total over {last_sent:.1f} s")
    assert offered >= 0.9 * 3 * rate, "the load generator could not offer the load"
    print(f"goodput {good:.1f}/s of 150 ({good / 150:.1%}), upstream 429s {upstream_429}/{attempts} "
          f"({upstream_429 / max(1, attempts):.2%}), client statuses "
          f"{ {s: sum(1 for r in results if r[1] == s) for s in sorted({r[1] for r in results})} }")
    # The simulator's 429s say the bucket was empty (remaining 0): the headers explain them, so
    # none may halve the organisation's rate (a CI run that saw 6 upstream 429s delivered 86 %).
    print(f"shared rate cuts {cuts:.0f}")
    assert cuts == 0
    assert good >= 0.95 * 150
    assert upstream_429 <= 0.01 * attempts


def load_one(url: str, rate: float, duration: float, start_at: float):
    time.sleep(max(0.0, start_at - time.time()))
    return asyncio.run(open_loop([url], rate, duration))


async def open_loop(urls, rate: float, duration: float):
    """Sends `rate` requests/s to each url for `duration` s without waiting for answers; returns
    (completion second, status) per request."""
    results = []
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(timeout=20, limits=limits) as client:
        start = time.monotonic()

        async def one(url):
            sent = time.monotonic() - start
            try:
                response = await client.post(url + "/v1/messages", json=BODY)
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            results.append((time.monotonic() - start, status, sent))

        tasks = []
        count = int(rate * duration)
        for n in range(count):
            due = start + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            for url in urls:
                tasks.append(asyncio.create_task(one(url)))
        await asyncio.gather(*tasks)
    return results


def test_same_request_on_three_instances_makes_one_upstream_call(redis, shared_sim, tmp_path):
    primary = shared_sim.ready["regions"]["primary"]
    instances = start_instances(tmp_path, redis.port, "cache", [("primary", primary, 100)])
    try:
        body = dict(BODY, messages=[{"role": "user", "content": f"single flight {time.time()}"}])
        before = sim_stats(primary)["requests_received"]
        barrier = threading.Barrier(3)
        statuses, sources = [], []

        def send(instance):
            barrier.wait()
            response = httpx.post("http://" + instance.ready["proxy"] + "/v1/messages", json=body,
                                  headers={"x-ballast-cache": "ttl=60"}, timeout=10)
            statuses.append(response.status_code)
            sources.append(response.headers.get("x-ballast-cache", "upstream"))

        threads = [threading.Thread(target=send, args=(i,)) for i in instances]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        calls = sim_stats(primary)["requests_received"] - before
        tiers = [[line for line in httpx.get("http://" + i.ready["admin"] + "/metrics").text.splitlines()
                  if line.startswith("ballast_shared_cache_total{") or line.startswith("ballast_shared_backend_up")] for i in instances]
        print(f"same request on three instances: {calls} upstream call(s), answers from {sorted(sources)}; {tiers}")
        assert statuses == [200, 200, 200]
        assert calls == 1
        assert sorted(sources) == ["shared", "shared", "upstream"]
    finally:
        stop_all(instances)


def test_drain_on_one_instance_reaches_the_others_and_redis_loss_is_not_failure(redis, shared_sim, tmp_path):
    primary, secondary = shared_sim.ready["regions"]["primary"], shared_sim.ready["regions"]["secondary"]
    instances = start_instances(tmp_path, redis.port, "ctl", [("primary", primary, 100), ("secondary", secondary, 100)])
    a, b, c = instances
    try:
        listed = admin(a, "GET", "/control/v1/instances").json()
        # Each instance refreshes its view of the membership on its own heartbeat: wait for both.
        for instance in (a, b):
            assert eventually(lambda: len(admin(instance, "GET", "/control/v1/instances").json()["instances"]) == 3,
                              timeout=5), listed
        status = subprocess.run([BALLAST_BIN, "status", "--admin", "http://" + b.ready["admin"]], capture_output=True, text=True,
                                env={**os.environ, "BALLAST_ADMIN_TOKEN": TOKEN})
        assert "instances: 3 via Redis (up)" in status.stdout, status.stdout + status.stderr

        drained_at = time.monotonic()
        assert admin(a, "POST", "/control/v1/regions/primary/drain", json={"reason": "e2e shared drain"}).status_code == 200

        assert eventually(lambda: drained_on(b, "primary") and drained_on(c, "primary"), timeout=1.0, interval=0.01)
        propagation = time.monotonic() - drained_at
        time.sleep(max(0.0, 1.0 - propagation))
        assert_all_go_to_secondary((b, c), 20, primary)
        print(f"drain propagation {propagation * 1000:.0f} ms")

        # Redis dies mid-run: every instance keeps serving, and says so on /metrics.
        stop = threading.Event()
        failures, served = [], []

        def traffic(instance):
            with httpx.Client(timeout=10) as client:
                while not stop.is_set():
                    response = client.post("http://" + instance.ready["proxy"] + "/v1/messages", json=BODY)
                    (served if response.status_code == 200 else failures).append(response.status_code)

        threads = [threading.Thread(target=traffic, args=(i,)) for i in instances]
        for t in threads:
            t.start()
        time.sleep(0.5)
        redis.kill()
        assert eventually(lambda: all(metric(i, "ballast_shared_backend_up") == 0 for i in instances), timeout=5)
        time.sleep(1.0)
        served_while_down = len(served)
        # Back on the same port: instances reconnect and reconcile (the drain is written again).
        redis.__init__(redis.port)
        assert eventually(lambda: all(metric(i, "ballast_shared_backend_up") == 1 for i in instances), timeout=10)
        stop.set()
        for t in threads:
            t.join()
        print(f"redis down: {served_while_down} requests served, {len(failures)} failed")
        assert failures == []
        assert served_while_down > 0
        # The drain was written back to the restarted (empty) Redis by the reconciliation.
        # (Stored as `setAt|payload`, the override as JSON; a cleared one is a tombstone.)
        assert eventually(lambda: '"action":"drain"' in redis_cli(redis.port, "HGET", "ctl:overrides", "region:primary"),
                          timeout=5), redis_cli(redis.port, "HGETALL", "ctl:overrides")
        assert eventually(lambda: len(admin(c, "GET", "/control/v1/instances").json()["instances"]) == 3, timeout=5)
    finally:
        stop_all(instances)


RULES = """
degradation:
  levels:
    - description: shorter answers
      max_tokens: 2048
groups:
  - name: shared-e2e
    interval: 250ms
    rules:
      - name: region-down
        when: consecutive_failures{class="local"}[10s] by (region) >= 3
        action: { circuit: open, target: { region: "$region" } }
        recover: { after: 30s, max_open: 5m, probe: { requests: 5, max_error_ratio: 0.2 } }
      - name: connections-failing
        when: error_count{level="attempt", class="local"}[10s] >= 3
        action: { degrade: 1 }
        recover: { after: 60s }
"""


def dead_address() -> str:
    port = free_port()
    return f"http://127.0.0.1:{port}"


def test_rule_decisions_on_one_instance_apply_to_all(redis, shared_sim, tmp_path):
    """Only instance A's path to `primary` is broken. A's rules open primary's circuit and
    raise the degradation level; B and C, whose own traffic to primary is fine, take the
    circuit within a second (no request of theirs reaches primary) and the level as their
    peers' level. A canary started on one instance and advanced on another moves on all
    three. When A stops, its level no longer holds the others."""
    primary, secondary = shared_sim.ready["regions"]["primary"], shared_sim.ready["regions"]["secondary"]
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    broken = dead_address()
    instances = start_instances(
        tmp_path, redis.port, "rules",
        lambda index: [("primary", broken if index == 0 else primary, 100), ("secondary", secondary, 100)],
        extra=f"rules:\n  paths: [{rules}]")
    a, b, c = instances
    try:
        def circuit(instance):
            circuits = admin(instance, "GET", "/control/v1/circuits").json()["circuits"]
            return next((entry["state"] for entry in circuits if entry["id"] == "region=primary"), "closed")

        for _ in range(6):
            response = httpx.post("http://" + a.ready["proxy"] + "/v1/messages", json=BODY, timeout=10)
            assert response.status_code == 200, response.text
        assert eventually(lambda: circuit(a) == "open", timeout=5, interval=0.01)
        opened = time.monotonic()
        assert eventually(lambda: circuit(b) == "open" and circuit(c) == "open", timeout=1.0, interval=0.01)
        propagation = time.monotonic() - opened
        print(f"circuit propagation {propagation * 1000:.0f} ms")

        # B and C send nothing to primary although their own path to it is healthy.
        assert_all_go_to_secondary((b, c), 10, primary)
        def adopted_in_audit():
            actions = admin(b, "GET", "/control/v1/actions", params={"limit": 50}).json()["actions"]
            return any(entry["actor"].startswith("instance:") and entry["target"] == "region=primary" for entry in actions)

        assert eventually(adopted_in_audit, timeout=5)

        # A's level reaches the others as their peers' level; its own rules never fired there.
        assert eventually(lambda: admin(a, "GET", "/control/v1/degradation").json()["instance_level"] == 1, timeout=5)
        for instance in (b, c):
            assert eventually(lambda: admin(instance, "GET", "/control/v1/degradation").json()["level"] == 1, timeout=1.0)
            degradation = admin(instance, "GET", "/control/v1/degradation").json()
            assert degradation["source"] == "instances" and degradation["instance_level"] == 0, degradation
        assert metric(b, "ballast_shared_peer_degradation_level") == 1
        assert metric(b, 'ballast_shared_adoptions_total{kind="circuit"}') >= 1

        # A canary started on A runs on B and C; B's operator advances it, and A and C follow.
        def canary(instance):
            canaries = admin(instance, "GET", "/control/v1/canaries").json()["canaries"]
            return next(((entry["phase"], entry["share"]) for entry in canaries if entry["name"] == "opus-next"), None)

        started = admin(a, "POST", "/control/v1/canaries", json={
            "reason": "e2e shared canary", "name": "opus-next", "from": {"model": "claude-sonnet-4-6"},
            "to": {"model": "claude-opus-4-1"}, "steps": ["10%", "50%"], "min_step_time": "1h"})
        assert started.status_code == 200, started.text
        assert eventually(lambda: canary(b) == ("running", 0.1) and canary(c) == ("running", 0.1), timeout=1.0, interval=0.01)
        assert admin(b, "POST", "/control/v1/canaries/opus-next/advance", json={"reason": "e2e"}).status_code == 200
        assert eventually(lambda: canary(a) == ("running", 0.5) and canary(c) == ("running", 0.5), timeout=1.0, interval=0.01)

        # Redis restarts empty: the instances write the circuit and the canary back.
        redis.kill()
        redis.__init__(redis.port)

        def decisions_stored():
            fields = redis_cli(redis.port, "HKEYS", "rules:decisions").split()
            return "circuit:region=primary" in fields and "canary:opus-next" in fields

        assert eventually(decisions_stored, timeout=10)
        assert canary(c) == ("running", 0.5) and circuit(c) == "open"

        # A leaves cleanly: its level no longer holds B and C up.
        a.stop()
        for instance in (b, c):
            assert eventually(lambda: admin(instance, "GET", "/control/v1/degradation").json()["level"] == 0, timeout=2.0)
    finally:
        stop_all(instances)


def test_shared_state_over_tls(shared_sim, tmp_path):
    """Redis serving TLS only: two instances verify it against the CA file, register, and a
    drain on one reaches the other through it."""
    certificates = make_certificates(tmp_path)
    server = Redis(free_port(), tls=certificates)
    primary, secondary = shared_sim.ready["regions"]["primary"], shared_sim.ready["regions"]["secondary"]
    instances = start_instances(tmp_path, server.port, "tls", [("primary", primary, 100), ("secondary", secondary, 100)],
                                count=2, scheme="rediss",
                                redis_extra=f"\n    tls: {{ ca_file: {certificates / 'ca.pem'} }}\n    connect_timeout: 2s")
    a, b = instances
    try:
        for instance in instances:
            assert eventually(lambda: metric(instance, "ballast_shared_backend_up") == 1, timeout=5)
            assert eventually(lambda: len(admin(instance, "GET", "/control/v1/instances").json()["instances"]) == 2, timeout=5)
        assert admin(a, "POST", "/control/v1/regions/primary/drain", json={"reason": "e2e tls drain"}).status_code == 200

        assert eventually(lambda: drained_on(b, "primary"), timeout=1.0, interval=0.01)
    finally:
        stop_all(instances)
        server.kill()
