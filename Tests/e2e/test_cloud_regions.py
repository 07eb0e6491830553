"""Amazon Bedrock and Google Vertex AI as regions (docs/regions.md), through the official
anthropic SDK: the client speaks the Messages API to Ballast, Ballast translates per region.
The cloud endpoints are Python fakes (cloudfakes.py) that verify what the real services verify
with independent code: botocore recomputes every SigV4 signature, the event-stream frames come
from a Python encoder, the service-account JWT is verified with the `openssl` command."""
import json
import sqlite3
import time

import anthropic
import httpx
import pytest

from cloudfakes import AWS_KEY_ID, AWS_SECRET, AWS_SESSION, REPLY_TEXT, FakeBedrock, FakeVertex
from conftest import BALLAST_BIN, BALLAST_LAB_BIN, SIM_CONFIG, SIM_KEY, Process, eventually

MODEL = "claude-sonnet-4-5"
MESSAGES = [{"role": "user", "content": "Tell me about ballast tanks."}]
BEDROCK_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
VERTEX_MODEL = "claude-sonnet-4-5@20250929"
AWS_ENV = {"AWS_ACCESS_KEY_ID": AWS_KEY_ID, "AWS_SECRET_ACCESS_KEY": AWS_SECRET, "AWS_SESSION_TOKEN": AWS_SESSION,
           "E2E_UPSTREAM_KEY": SIM_KEY}


@pytest.fixture(scope="module")
def fakes(tmp_path_factory):
    bedrock = FakeBedrock()
    vertex = FakeVertex(tmp_path_factory.mktemp("vertex"))
    yield bedrock, vertex
    bedrock.stop()
    vertex.stop()


@pytest.fixture(scope="module")
def cloud_sim(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cloudsim")
    config = tmp / "sim.yaml"
    config.write_text(SIM_CONFIG.format(key=SIM_KEY))
    process = Process([BALLAST_LAB_BIN, "simulate", "--config", str(config)], tmp, "sim")
    yield process
    process.stop()


def cloud_config(anthropic_url, bedrock, vertex, weights, tmp) -> str:
    """`weights` for anthropic, bedrock, vertex; None leaves the region out."""
    anthropic_region = f"""
    - {{ name: anthropic, base_url: "{anthropic_url}", weight: {weights[0]} }}"""
    bedrock_region = f"""
    - name: bedrock-us-east-1
      kind: bedrock
      aws_region: us-east-1
      endpoint: "{bedrock.url}"
      weight: {weights[1]}
      models: {{ "claude-sonnet-4-*": "{BEDROCK_ID}" }}"""
    vertex_region = f"""
    - name: vertex-us-east5
      kind: vertex
      project: {vertex.project}
      location: {vertex.location}
      endpoint: "{vertex.url}"
      credentials_file: "{vertex.credentials_path}"
      weight: {weights[2]}
      models: {{ "claude-sonnet-4-*": "{VERTEX_MODEL}" }}"""
    regions = "".join(text for text, weight in zip((anthropic_region, bedrock_region, vertex_region), weights)
                      if weight is not None)
    return f"""
listen: 127.0.0.1:0
admin:
  listen: 127.0.0.1:0
store:
  path: {tmp / "ballast.db"}
upstream:
  auth:
    mode: static
    api_key_env: E2E_UPSTREAM_KEY
  timeouts: {{ connect: 1s, first_byte: 10s, idle: 10s, total: 60s }}
  regions:{regions}
"""


def start(tmp, name, cloud_sim, fakes, weights, env=None) -> Process:
    bedrock, vertex = fakes
    folder = tmp / name
    folder.mkdir()
    config = folder / "ballast.yaml"
    config.write_text(cloud_config(cloud_sim.ready["regions"]["primary"], bedrock, vertex, weights, folder))
    return Process([BALLAST_BIN, "serve", "--config", str(config)], folder, "ballast", env={**AWS_ENV, **(env or {})})


def sdk(process) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url="http://" + process.ready["proxy"], api_key="sk-client-not-used", max_retries=0,
                               timeout=30)


@pytest.fixture(scope="module")
def bedrock_first(tmp_path_factory, cloud_sim, fakes):
    process = start(tmp_path_factory.mktemp("bf"), "bedrock", cloud_sim, fakes, (0, 100, 0))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def vertex_first(tmp_path_factory, cloud_sim, fakes):
    process = start(tmp_path_factory.mktemp("vf"), "vertex", cloud_sim, fakes, (0, 0, 100))
    yield process
    process.stop()


def test_bedrock_plain_and_streaming_with_signatures_botocore_accepts(bedrock_first, fakes):
    bedrock, _ = fakes
    bedrock.mode = "ok"
    before = len(bedrock.requests)
    client = sdk(bedrock_first)
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=100, messages=MESSAGES,
                                                   extra_headers={"anthropic-beta": "beta-one-2025, beta-two-2025",
                                                                  "x-ballast-hedge": "off"})
    assert raw.headers["x-ballast-region"] == "bedrock-us-east-1"
    assert raw.parse().content[0].text == REPLY_TEXT
    with client.messages.stream(model=MODEL, max_tokens=100, messages=MESSAGES) as stream:
        text = stream.get_final_text()
        assert stream.response.headers["x-ballast-region"] == "bedrock-us-east-1"
        assert stream.response.headers["content-type"].startswith("text/event-stream")
    assert text == REPLY_TEXT
    seen = bedrock.requests[before:]
    assert [r.get("problem") for r in seen] == [None, None]
    assert seen[0]["path"] == f"/model/{BEDROCK_ID}/invoke"
    assert seen[1]["path"] == f"/model/{BEDROCK_ID}/invoke-with-response-stream"
    body = json.loads(seen[0]["body"])
    assert body["anthropic_beta"] == ["beta-one-2025", "beta-two-2025"]
    assert body["anthropic_version"] == "bedrock-2023-05-31" and "model" not in body
    # The client's key never reaches AWS; the signature is the only credential.
    assert "sk-client-not-used" not in json.dumps(seen[0]["headers"])


def test_vertex_plain_and_streaming_with_a_verified_service_account_jwt(vertex_first, fakes):
    _, vertex = fakes
    vertex.mode = "ok"
    before = len(vertex.requests)
    client = sdk(vertex_first)
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=100, messages=MESSAGES)
    assert raw.headers["x-ballast-region"] == "vertex-us-east5"
    assert raw.parse().content[0].text == REPLY_TEXT
    with client.messages.stream(model=MODEL, max_tokens=100, messages=MESSAGES) as stream:
        assert stream.get_final_text() == REPLY_TEXT
    seen = vertex.requests[before:]
    prefix = f"/v1/projects/{vertex.project}/locations/{vertex.location}/publishers/anthropic/models/{VERTEX_MODEL}"
    assert [r["path"] for r in seen] == [prefix + ":rawPredict", prefix + ":streamRawPredict"]
    assert [r.get("problem") for r in seen] == [None, None]
    # One token exchange for both calls (single flight, cached), with a JWT openssl verified.
    assert vertex.token_requests and all(problem is None for problem in vertex.token_requests)
    assert len(vertex.token_requests) == 1


def test_a_model_without_a_mapping_is_never_sent_to_a_cloud_region(bedrock_first, fakes, cloud_sim):
    bedrock, _ = fakes
    before = len(bedrock.requests)
    raw = sdk(bedrock_first).messages.with_raw_response.create(model="claude-haiku-4-5", max_tokens=50, messages=MESSAGES)
    assert raw.headers["x-ballast-region"] == "anthropic"
    assert len(bedrock.requests) == before
    # Nor another API than Messages (token counting stays on the Anthropic API).
    counted = httpx.post("http://" + bedrock_first.ready["proxy"] + "/v1/messages/count_tokens",
                         json={"model": MODEL, "messages": MESSAGES}, headers={"anthropic-version": "2023-06-01"}, timeout=10)
    assert counted.status_code == 200 and counted.headers["x-ballast-region"] == "anthropic"
    assert len(bedrock.requests) == before


def test_bedrock_errors_fail_over_and_reach_a_lone_region_client_in_anthropic_shape(tmp_path, bedrock_first, fakes, cloud_sim):
    bedrock, _ = fakes
    bedrock.mode = "throttle"
    try:
        # ThrottlingException is a 429: the attempt fails over to the standby Anthropic region.
        raw = sdk(bedrock_first).messages.with_raw_response.create(model=MODEL, max_tokens=50, messages=MESSAGES,
                                                                    extra_headers={"x-ballast-hedge": "off"})
        assert raw.headers["x-ballast-region"] == "anthropic"
        assert int(raw.headers["x-ballast-attempts"]) >= 2
        # Without another region serving the model, the client gets the Anthropic error shape.
        alone = start(tmp_path, "alone", cloud_sim, fakes, (None, 100, None))
        try:
            with pytest.raises(anthropic.RateLimitError) as caught:
                sdk(alone).messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=MESSAGES,
                                           extra_headers={"x-ballast-hedge": "off"})
            assert caught.value.body["error"]["type"] == "rate_limit_error"
            assert "ThrottlingException" in caught.value.body["error"]["message"]
        finally:
            alone.stop()
        bedrock.mode = "expired"
        with pytest.raises(anthropic.APIStatusError):
            sdk(bedrock_first).messages.create(model=MODEL, max_tokens=50, messages=MESSAGES,
                                               extra_headers={"x-ballast-hedge": "off"})
        assert eventually(lambda: "clock is" in bedrock_first.logs() and "off the service's" in bedrock_first.logs())
    finally:
        bedrock.mode = "ok"


def test_a_corrupt_frame_is_never_relayed_and_ends_the_stream(tmp_path, fakes, cloud_sim):
    bedrock, _ = fakes
    bedrock.mode = "badcrc"
    process = start(tmp_path, "badcrc", cloud_sim, fakes, (None, 100, None))
    try:
        received = []
        with pytest.raises(anthropic.APIError):
            with sdk(process).messages.stream(model=MODEL, max_tokens=100, messages=MESSAGES) as stream:
                for text in stream.text_stream:
                    received.append(text)
        # The corrupt frame carried "tanks "; nothing from it or after it reached the client.
        assert "tanks" not in "".join(received)
        bedrock.mode = "midthrottle"
        received = []
        with pytest.raises(anthropic.APIError):
            with sdk(process).messages.stream(model=MODEL, max_tokens=100, messages=MESSAGES) as stream:
                for text in stream.text_stream:
                    received.append(text)
    finally:
        bedrock.mode = "ok"
        process.stop()


def test_secrets_never_reach_logs_metrics_status_or_store(bedrock_first, vertex_first, fakes):
    _, vertex = fakes
    secrets = [AWS_SECRET, AWS_SESSION, "ya29.e2e", vertex.private_pem.splitlines()[1]]
    for process in (bedrock_first, vertex_first):
        admin = "http://" + process.ready["admin"]
        texts = [process.logs(), httpx.get(admin + "/metrics", timeout=10).text, httpx.get(admin + "/", timeout=10).text,
                 httpx.get(admin + "/control/v1/regions", timeout=10).text]
        db = process.ready_path.parent / "ballast.db"
        if db.exists():
            with sqlite3.connect(db) as connection:
                for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                    texts.append(json.dumps(connection.execute(f"SELECT * FROM \"{table}\"").fetchall(), default=str))
        for text in texts:
            for secret in secrets:
                assert secret not in text


def test_failover_drill_anthropic_529s_for_10s_traffic_moves_to_bedrock_and_back(tmp_path, fakes, cloud_sim):
    """The drill of docs/regions.md: the Anthropic region answers 529 for 10 s; requests keep
    succeeding on Bedrock meanwhile, and return to the Anthropic region after."""
    bedrock, _ = fakes
    bedrock.mode = "ok"
    process = start(tmp_path, "drill", cloud_sim, fakes, (100, 0, 0))
    primary = cloud_sim.ready["regions"]["primary"]
    client = sdk(process)

    def ask():
        raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=30, messages=MESSAGES,
                                                       extra_headers={"x-ballast-hedge": "off"})
        raw.parse()
        return raw.headers["x-ballast-region"]

    try:
        assert ask() == "anthropic"
        httpx.put(primary + "/_sim/faults", json={"error_ratio": {"529": 1.0}}, timeout=5).raise_for_status()
        wave_end = time.monotonic() + 10
        during = []
        while time.monotonic() < wave_end and len(during) < 400:
            during.append(ask())
        assert during and all(region == "bedrock-us-east-1" for region in during), during
        httpx.put(primary + "/_sim/faults", json={}, timeout=5).raise_for_status()
        after = []
        # Back within the circuit's failback: bounded by time and by count.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(after) < 2000:
            after.append(ask())
            if after[-3:] == ["anthropic"] * 3:
                break
            time.sleep(0.05)
        assert after[-3:] == ["anthropic"] * 3, after[-10:]
    finally:
        httpx.put(primary + "/_sim/faults", json={}, timeout=5)
        process.stop()
