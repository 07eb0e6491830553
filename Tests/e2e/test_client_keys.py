"""Client keys end to end (#15 items 1 and 2): the official SDK with a client key Ballast gave
it, every refusal in its documented status and error type, a second key's traffic unaffected,
two instances enforcing one key's limit together through Redis, rotation on SIGHUP, and the
start-up refusal of an open relay."""
import hashlib
import signal
import subprocess
import time
from pathlib import Path

import anthropic
import httpx
import pytest

from conftest import BALLAST_BIN, SIM_KEY, Process, eventually
from test_shared import Redis, free_port, metric, start_instances, stop_all

MODEL = "claude-sonnet-4-6"
MESSAGES = [{"role": "user", "content": "hi"}]
KEYS = {"E2E_KEY_PACED": "ck-paced-1", "E2E_KEY_OTHER": "ck-other-2", "E2E_KEY_CAPPED": "ck-capped-3",
        "E2E_KEY_HAIKU": "ck-haiku-4"}
# 20 per minute: a burst of 20, then one every 3 s.
PACED_RPM = 20

CLIENTS = f"""
clients:
  keys:
    - {{ name: paced, key_env: E2E_KEY_PACED, requests_per_minute: {PACED_RPM} }}
    - {{ name: other, key_env: E2E_KEY_OTHER, requests_per_minute: 1000 }}
    - {{ name: capped, key_env: E2E_KEY_CAPPED, budget: {{ tokens_per_day: 50 }} }}
    - {{ name: haiku, key_env: E2E_KEY_HAIKU, models: ["claude-haiku-*"] }}
"""


def config_text(sim, listen="127.0.0.1:0", clients=CLIENTS) -> str:
    regions = sim.ready["regions"]
    return f"""
listen: {listen}
admin:
  listen: 127.0.0.1:0
upstream:
  auth: {{ mode: static, api_key_env: E2E_UPSTREAM_KEY }}
  hedge: {{ enabled: false }}
  timeouts: {{ connect: 1s, first_byte: 10s, idle: 10s, total: 30s }}
  regions:
    - {{ name: primary, base_url: "{regions['primary']}", weight: 100 }}
{clients}
"""


@pytest.fixture(scope="module")
def keyed(sim, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keyed")
    config = tmp / "keyed.yaml"
    config.write_text(config_text(sim))
    process = Process([BALLAST_BIN, "serve", "--config", str(config)], tmp, "keyed",
                      env={"E2E_UPSTREAM_KEY": SIM_KEY, **KEYS})
    yield process
    process.stop()


def sdk(process, key, retries=0) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url="http://" + process.ready["proxy"], api_key=key, max_retries=retries, timeout=30)


def ask(client, model=MODEL):
    return client.messages.create(model=model, max_tokens=16, messages=MESSAGES)


def test_no_key_and_a_wrong_key_are_401_authentication_error(keyed):
    response = httpx.post("http://" + keyed.ready["proxy"] + "/v1/messages", timeout=10,
                          json={"model": MODEL, "max_tokens": 16, "messages": MESSAGES})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    for wrong in ("ck-nobody", SIM_KEY):
        with pytest.raises(anthropic.AuthenticationError) as refused:
            ask(sdk(keyed, wrong))
        assert refused.value.status_code == 401
    # The organisation's key travels in x-api-key; a bearer token is as good as x-api-key.
    assert ask(anthropic.Anthropic(base_url="http://" + keyed.ready["proxy"], auth_token=KEYS["E2E_KEY_OTHER"],
                                   max_retries=0)).id.startswith("msg_")


def test_a_model_the_key_may_not_use_is_403_permission_error(keyed):
    with pytest.raises(anthropic.PermissionDeniedError) as refused:
        ask(sdk(keyed, KEYS["E2E_KEY_HAIKU"]), model=MODEL)
    assert refused.value.status_code == 403
    assert "claude-haiku-*" in refused.value.message
    assert ask(sdk(keyed, KEYS["E2E_KEY_HAIKU"]), model="claude-haiku-4-5").id.startswith("msg_")


def test_a_key_over_its_rate_gets_429_and_the_sdk_paces_itself_while_another_key_goes_on(keyed):
    paced = sdk(keyed, KEYS["E2E_KEY_PACED"])
    other = sdk(keyed, KEYS["E2E_KEY_OTHER"])
    admitted = 0
    refused = None
    started = time.monotonic()
    for _ in range(PACED_RPM + 10):
        try:
            ask(paced)
            admitted += 1
        except anthropic.RateLimitError as error:
            refused = error
            break
        # Meanwhile the other key is served every time.
        assert ask(other).id.startswith("msg_")
    assert refused is not None and refused.status_code == 429
    # The burst, plus one per 3 s of refill while the loop ran (a loaded machine is slow).
    assert PACED_RPM <= admitted <= PACED_RPM + 1 + (time.monotonic() - started) / (60 / PACED_RPM)
    headers = refused.response.headers
    assert refused.body["error"]["type"] == "rate_limit_error"
    assert headers["anthropic-ratelimit-requests-limit"] == str(PACED_RPM)
    assert headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert headers["anthropic-ratelimit-requests-reset"].endswith("Z")
    wait = int(headers["retry-after-ms"]) / 1000
    assert 0 < wait <= 60 / PACED_RPM + 0.1
    assert int(headers["retry-after"]) >= 1
    for _ in range(3):
        assert ask(other).id.startswith("msg_")
    # With its retries on, the SDK reads retry-after-ms, waits and gets through.
    started = time.monotonic()
    assert ask(sdk(keyed, KEYS["E2E_KEY_PACED"], retries=2)).id.startswith("msg_")
    assert time.monotonic() - started >= 0.5 * wait


def test_a_key_over_its_budget_gets_429_naming_the_budget_and_its_reset(keyed):
    capped = sdk(keyed, KEYS["E2E_KEY_CAPPED"], retries=2)
    refused = None
    for _ in range(5):  # Each answer spends some 10 input and 16 output tokens of the 50.
        started = time.monotonic()
        try:
            ask(capped)
        except anthropic.RateLimitError as error:
            refused = error
            break
    assert refused is not None and refused.status_code == 429
    # `x-should-retry: false`: the SDK does not retry a spent budget (its retries would wait).
    assert time.monotonic() - started < 2
    assert "daily budget of 50 tokens" in refused.message
    assert "T00:00:00Z (UTC midnight)" in refused.message
    assert ask(sdk(keyed, KEYS["E2E_KEY_OTHER"])).id.startswith("msg_")


def test_the_control_api_lists_keys_by_name_never_the_key(keyed):
    token_free = httpx.get("http://" + keyed.ready["admin"] + "/metrics", timeout=5).text
    assert 'ballast_client_requests_total{client="other",class="success"}' in token_free
    assert 'ballast_client_refusals_total{client="haiku",reason="model"}' in token_free
    for key in KEYS.values():
        assert key not in token_free


def test_rotating_a_key_is_a_sighup(sim, tmp_path):
    old, new = "ck-rotate-old", "ck-rotate-new"
    digest = lambda key: hashlib.sha256(key.encode()).hexdigest()
    config = tmp_path / "rotate.yaml"
    config.write_text(config_text(sim, clients=f"clients:\n  keys:\n    - {{ name: app, key_sha256: {digest(old)} }}\n"))
    process = Process([BALLAST_BIN, "serve", "--config", str(config)], tmp_path, "rotate", env={"E2E_UPSTREAM_KEY": SIM_KEY})
    try:
        assert ask(sdk(process, old)).id.startswith("msg_")
        config.write_text(config_text(sim, clients=f"clients:\n  keys:\n    - {{ name: app, key_sha256: {digest(new)} }}\n"))
        process.proc.send_signal(signal.SIGHUP)

        def rotated():
            try:
                ask(sdk(process, new))
                return True
            except anthropic.AuthenticationError:
                return False
        assert eventually(rotated, timeout=10)
        with pytest.raises(anthropic.AuthenticationError):
            ask(sdk(process, old))
        assert "clients: 1 key(s) loaded (app)" in process.logs()
    finally:
        process.stop()


def test_an_open_relay_refuses_to_start_naming_the_fix(sim, tmp_path):
    config = tmp_path / "open.yaml"
    config.write_text(config_text(sim, listen="0.0.0.0:0", clients=""))
    result = subprocess.run([BALLAST_BIN, "serve", "--config", str(config)], capture_output=True, text=True, timeout=30,
                            env={"E2E_UPSTREAM_KEY": SIM_KEY, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "'clients.keys'" in result.stderr and "'clients.require_key: false'" in result.stderr
    # Said on purpose: it starts, and says so in the log at every start.
    config.write_text(config_text(sim, listen="0.0.0.0:0", clients="clients:\n  require_key: false\n"))
    process = Process([BALLAST_BIN, "serve", "--config", str(config)], tmp_path, "open", env={"E2E_UPSTREAM_KEY": SIM_KEY})
    try:
        assert "clients.require_key is false" in process.logs()
    finally:
        process.stop()


def test_two_instances_with_redis_enforce_one_keys_limit_together(sim, tmp_path, monkeypatch):
    redis = Redis(free_port())
    regions = [("primary", sim.ready["regions"]["primary"], 100)]
    extra = "clients:\n  keys:\n    - { name: team, key_env: E2E_KEY_TEAM, requests_per_minute: 10 }\n"
    monkeypatch.setenv("E2E_KEY_TEAM", "ck-team")
    instances = start_instances(tmp_path, redis.port, "keys", regions, count=2, extra=extra)
    try:
        clients = [sdk(instance, "ck-team") for instance in instances]
        outcomes = []
        started = time.monotonic()
        for index in range(16):
            try:
                ask(clients[index % 2])
                outcomes.append("ok")
            except anthropic.RateLimitError:
                outcomes.append("429")
        # One bucket of 10 for both, plus one per 6 s of refill while the loop ran; alone, each
        # instance would have admitted 10, all 16 in all.
        refill = (time.monotonic() - started) / 6
        assert 10 <= outcomes.count("ok") <= 11 + refill < 16, outcomes
        assert outcomes[:10] == ["ok"] * 10
        assert all(metric(instance, "ballast_client_shared_fallbacks_total") == 0 for instance in instances)
        # Redis gone: each instance decides from its own buckets, and counts it.
        redis.kill()
        assert eventually(lambda: metric(instances[0], "ballast_shared_backend_up") == 0, timeout=10)
        try:
            ask(clients[0])
        except anthropic.RateLimitError:
            pass
        assert metric(instances[0], "ballast_client_shared_fallbacks_total") >= 1
    finally:
        stop_all(instances)
        redis.kill()
