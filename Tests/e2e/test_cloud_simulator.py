"""Ballast against `ballast-lab simulate` with all three region kinds (docs/simulator.md,
"Cloud regions"): the simulator's Bedrock region recomputes every SigV4 signature and streams
event-stream frames from its own encoder, its Vertex region wants a token from its own token
endpoint for a JWT it verified with the service account's public key. The official SDK
speaks to Ballast; the failover drill moves traffic from an Anthropic region answering 529 to
Bedrock and back. The Python fakes of test_cloud_regions.py stay the independent checks of
Ballast's arithmetic; here botocore also signs and decodes against the simulator."""
import base64
import json
import subprocess
import time

import anthropic
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

from conftest import BALLAST_BIN, BALLAST_LAB_BIN, SIM_KEY, Process, eventually, sim_stats

MODEL = "claude-sonnet-4-5"
MESSAGES = [{"role": "user", "content": "Tell me about ballast tanks."}]
BEDROCK_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
VERTEX_MODEL = "claude-sonnet-4-5@20250929"
KEY_ID = "AKIASIME2E"
SECRET = "sim-e2e/secret+key"
SESSION = "sim-e2e-session"
EMAIL = "ballast-sim@sim-project.iam.gserviceaccount.com"

SIM = """
seed: 11
aws: {{ access_key_id: {key_id}, secret_access_key: "{secret}", session_token: {session} }}
gcp: {{ client_email: {email}, public_key_file: "{public}", token_ttl: 1h }}
regions:
  - name: anthropic
    api_key: {key}
    latency: {{ first_byte: 5ms, token_interval: 1ms }}
    output: {{ min_tokens: 10, max_tokens: 30 }}
  - name: bedrock
    kind: bedrock
    aws_region: us-east-1
    latency: {{ first_byte: 5ms, token_interval: 1ms }}
    output: {{ min_tokens: 10, max_tokens: 30 }}
  - name: vertex
    kind: vertex
    project: sim-project
    location: us-east5
    latency: {{ first_byte: 5ms, token_interval: 1ms }}
    output: {{ min_tokens: 10, max_tokens: 30 }}
"""


@pytest.fixture(scope="module")
def clouds(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cloudsim3")
    private, public = tmp / "sa.pem", tmp / "sa-public.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(private)],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(private), "-pubout", "-out", str(public)], check=True, capture_output=True)
    config = tmp / "sim.yaml"
    config.write_text(SIM.format(key_id=KEY_ID, secret=SECRET, session=SESSION, email=EMAIL, public=public, key=SIM_KEY))
    process = Process([BALLAST_LAB_BIN, "simulate", "--config", str(config)], tmp, "sim")
    regions = process.ready["regions"]
    credentials = tmp / "sa.json"
    credentials.write_text(json.dumps({"type": "service_account", "project_id": "sim-project", "private_key_id": "k1",
                                       "private_key": private.read_text(), "client_email": EMAIL,
                                       "token_uri": regions["vertex"] + "/token"}))
    yield process, credentials
    process.stop()


def start(tmp, clouds, weights) -> Process:
    sim, credentials = clouds
    regions = sim.ready["regions"]
    config = tmp / "ballast.yaml"
    config.write_text(f"""
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
  regions:
    - {{ name: anthropic, base_url: "{regions['anthropic']}", weight: {weights[0]} }}
    - name: bedrock-us-east-1
      kind: bedrock
      aws_region: us-east-1
      endpoint: "{regions['bedrock']}"
      weight: {weights[1]}
      models: {{ "claude-sonnet-4-*": "{BEDROCK_ID}" }}
    - name: vertex-us-east5
      kind: vertex
      project: sim-project
      location: us-east5
      endpoint: "{regions['vertex']}"
      credentials_file: "{credentials}"
      weight: {weights[2]}
      models: {{ "claude-sonnet-4-*": "{VERTEX_MODEL}" }}
""")
    env = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": SESSION,
           "E2E_UPSTREAM_KEY": SIM_KEY}
    return Process([BALLAST_BIN, "serve", "--config", str(config)], tmp, "ballast", env=env)


def sdk(process) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url="http://" + process.ready["proxy"], api_key="sk-client-not-used", max_retries=0,
                               timeout=30)


@pytest.mark.parametrize("region,weights", [("anthropic", (100, 0, 0)), ("bedrock", (0, 100, 0)), ("vertex", (0, 0, 100))])
def test_plain_and_streaming_through_each_kind(tmp_path, clouds, region, weights):
    sim, _ = clouds
    url = sim.ready["regions"][region]
    before = sim_stats(url)
    process = start(tmp_path, clouds, weights)
    try:
        client = sdk(process)
        raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=100, messages=MESSAGES,
                                                       extra_headers={"x-ballast-hedge": "off"})
        message = raw.parse()
        assert raw.headers["x-ballast-region"].startswith(region)
        assert message.content[0].text and message.usage.output_tokens >= 10
        with client.messages.stream(model=MODEL, max_tokens=100, messages=MESSAGES,
                                    extra_headers={"x-ballast-hedge": "off"}) as stream:
            text = stream.get_final_text()
            final = stream.get_final_message()
            assert stream.response.headers["x-ballast-region"].startswith(region)
        # The simulator's reply text is a function of the request: streamed or not, the same.
        assert text == message.content[0].text and final.stop_reason == message.stop_reason
        after = sim_stats(url)
        # Both reached the simulated service and passed its checks (signature, token, rewrites).
        assert after["requests_received"] - before["requests_received"] == 2, after
        assert after["responses_by_status"].get("200", 0) - before["responses_by_status"].get("200", 0) == 2, after
        # The credentials the simulator checked never reach Ballast's logs or metrics.
        admin = "http://" + process.ready["admin"]
        metrics = httpx.get(admin + "/metrics", timeout=10).text
        if region == "vertex":
            assert 'ballast_cloud_credential_refreshes_total{region="vertex-us-east5",result="success"} 1' in metrics
        _, credentials = clouds
        private_line = json.loads(credentials.read_text())["private_key"].splitlines()[1]
        for text in (process.logs(), metrics, httpx.get(admin + "/", timeout=10).text):
            for secret in (SECRET, SESSION, private_line, "sim_at_"):
                assert secret not in text
    finally:
        process.stop()


def test_the_simulators_bedrock_frames_decode_with_botocore_and_its_signature_check_refuses_a_wrong_secret(clouds):
    """Two independent views of the simulator itself: botocore signs (right and wrong), and
    botocore's event-stream parser reads the simulator's frames, CRCs included."""
    sim, _ = clouds
    url = sim.ready["regions"]["bedrock"]
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 40,
                       "messages": [{"role": "user", "content": "hello"}]}).encode()

    def post(secret):
        request = AWSRequest(method="POST", url=f"{url}/model/{BEDROCK_ID}/invoke-with-response-stream", data=body,
                             headers={"content-type": "application/json"})
        SigV4Auth(Credentials(KEY_ID, secret, SESSION), "bedrock", "us-east-1").add_auth(request)
        return httpx.post(request.url, content=body, headers=dict(request.headers.items()), timeout=10)

    refused = post("not-the-secret")
    assert refused.status_code == 403
    assert refused.headers["x-amzn-errortype"].startswith("InvalidSignatureException:")
    answer = post(SECRET)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/vnd.amazon.eventstream"
    buffer = EventStreamBuffer()
    buffer.add_data(answer.content)
    events = []
    for frame in buffer:  # botocore checks both CRCs and raises on a mismatch
        assert frame.headers[":event-type"] == "chunk"
        events.append(json.loads(base64.b64decode(json.loads(frame.payload)["bytes"])))
    assert events[0]["type"] == "message_start" and events[-1]["type"] == "message_stop"
    assert any(event["type"] == "content_block_delta" for event in events)


def test_failover_drill_anthropic_529s_for_10s_moves_to_bedrock_and_back(tmp_path, clouds):
    """docs/regions.md's drill against the simulator: every region of the run simulated, the
    Bedrock one checking every signature."""
    sim, _ = clouds
    anthropic_url, bedrock_url = sim.ready["regions"]["anthropic"], sim.ready["regions"]["bedrock"]
    process = start(tmp_path, clouds, (100, 0, 0))
    client = sdk(process)

    def ask():
        raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=30, messages=MESSAGES,
                                                       extra_headers={"x-ballast-hedge": "off"})
        raw.parse()
        return raw.headers["x-ballast-region"]

    try:
        assert ask() == "anthropic"
        bedrock_before = sim_stats(bedrock_url)["responses_by_status"].get("200", 0)
        httpx.put(anthropic_url + "/_sim/faults", json={"error_ratio": {"529": 1.0}}, timeout=5).raise_for_status()
        wave_end = time.monotonic() + 10
        during = []
        while time.monotonic() < wave_end and len(during) < 400:
            during.append(ask())
        assert during and all(region == "bedrock-us-east-1" for region in during), during
        assert sim_stats(bedrock_url)["responses_by_status"].get("200", 0) - bedrock_before >= len(during)
        httpx.put(anthropic_url + "/_sim/faults", json={}, timeout=5).raise_for_status()
        after = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(after) < 2000:
            after.append(ask())
            if after[-3:] == ["anthropic"] * 3:
                break
            time.sleep(0.05)
        assert after[-3:] == ["anthropic"] * 3, after[-10:]
    finally:
        httpx.put(anthropic_url + "/_sim/faults", json={}, timeout=5)
        process.stop()


def test_bedrock_throttling_from_the_simulator_fails_over_to_anthropic(tmp_path, clouds):
    sim, _ = clouds
    bedrock_url = sim.ready["regions"]["bedrock"]
    process = start(tmp_path, clouds, (0, 100, 0))
    try:
        httpx.put(bedrock_url + "/_sim/faults", json={"error_ratio": {"429": 1.0}}, timeout=5).raise_for_status()
        raw = sdk(process).messages.with_raw_response.create(model=MODEL, max_tokens=30, messages=MESSAGES,
                                                              extra_headers={"x-ballast-hedge": "off"})
        raw.parse()
        assert raw.headers["x-ballast-region"] == "anthropic"
        assert int(raw.headers["x-ballast-attempts"]) >= 2
        assert sim_stats(bedrock_url)["responses_by_status"].get("429", 0) >= 1
    finally:
        httpx.put(bedrock_url + "/_sim/faults", json={}, timeout=5)
        process.stop()


def test_a_service_clock_ahead_is_logged_as_skew_from_its_date_header(tmp_path, clouds):
    """A simulator whose AWS clock runs 10 minutes ahead: Ballast's signatures are "expired",
    the client gets an error in the Anthropic shape, and Ballast logs the skew it reads from
    the answer's Date header (docs/regions.md)."""
    _, credentials = clouds
    config = tmp_path / "skewed.yaml"
    config.write_text(f"""
aws: {{ access_key_id: {KEY_ID}, secret_access_key: "{SECRET}", session_token: {SESSION}, clock_ahead: 10m }}
regions:
  - {{ name: bedrock, kind: bedrock, aws_region: us-east-1 }}
""")
    skewed = Process([BALLAST_LAB_BIN, "simulate", "--config", str(config)], tmp_path, "skewed")
    try:
        raw = httpx.post(skewed.ready["regions"]["bedrock"] + f"/model/{BEDROCK_ID}/invoke", content=b"{}", timeout=5)
        assert len(raw.headers.get_list("date")) == 1, raw.headers
        ballast_config = tmp_path / "ballast.yaml"
        ballast_config.write_text(f"""
listen: 127.0.0.1:0
admin: {{ listen: 127.0.0.1:0 }}
store: {{ path: {tmp_path / "ballast.db"} }}
upstream:
  auth: {{ mode: static, api_key_env: E2E_UPSTREAM_KEY }}
  regions:
    - name: bedrock-us-east-1
      kind: bedrock
      aws_region: us-east-1
      endpoint: "{skewed.ready['regions']['bedrock']}"
      weight: 100
      models: {{ "claude-sonnet-4-*": "{BEDROCK_ID}" }}
""")
        env = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": SESSION,
               "E2E_UPSTREAM_KEY": SIM_KEY}
        process = Process([BALLAST_BIN, "serve", "--config", str(ballast_config)], tmp_path, "ballast", env=env)
        try:
            with pytest.raises(anthropic.AuthenticationError) as caught:
                sdk(process).messages.create(model=MODEL, max_tokens=20, messages=MESSAGES,
                                             extra_headers={"x-ballast-hedge": "off"})
            assert "Signature expired" in caught.value.body["error"]["message"]
            # 600 s, give or take the second the exchange took.
            assert eventually(lambda: any(f"this host's clock is {s} s off" in process.logs() for s in (-601, -600, -599)),
                              timeout=10), process.logs()[-2000:]
            assert SECRET not in process.logs()
        finally:
            process.stop()
    finally:
        skewed.stop()
