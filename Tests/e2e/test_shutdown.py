"""What Kubernetes sees when it stops Ballast: SIGTERM turns /readyz to 503 at once, the proxy
keeps serving for `shutdown.delay`, then closes its listener while a request started before
the signal completes; the probe listener answers probes only; JSON logs parse line by line
and the access log holds no key, prompt or answer."""
import json
import signal
import socket
import threading
import time

import anthropic
import httpx

from conftest import BALLAST_BIN, SIM_KEY, Process

MODEL = "claude-sonnet-4-6"
PROMPT = "PROMPT-MARKER-e2e-73: tell me about ballast tanks."
CLIENT_KEY = "sk-client-e2e-marker-19"


def config(primary: str, secondary: str) -> str:
    return f"""
listen: 127.0.0.1:0
admin:
  listen: 127.0.0.1:0
  probe_listen: "127.0.0.1:${{E2E_PROBE_PORT:-0}}"
shutdown: {{ delay: 1s, grace: 10s }}
log: {{ format: json, access: true }}
upstream:
  auth: {{ mode: static, api_key_env: E2E_UPSTREAM_KEY }}
  hedge: {{ enabled: false }}
  timeouts: {{ connect: 1s, first_byte: 10s, idle: 10s, total: 60s }}
  regions:
    - {{ name: primary, base_url: "{primary}", weight: 100 }}
    - {{ name: secondary, base_url: "{secondary}", weight: 0 }}
"""


def test_sigterm_turns_readiness_at_once_and_drains(sim, tmp_path):
    regions = sim.ready["regions"]
    path = tmp_path / "ballast.yaml"
    path.write_text(config(regions["primary"], regions["secondary"]))
    process = Process([BALLAST_BIN, "serve", "--config", str(path)], tmp_path, "stopping",
                      env={"E2E_UPSTREAM_KEY": SIM_KEY})
    proxy = "http://" + process.ready["proxy"]
    probe = "http://" + process.ready["probe"]
    admin = "http://" + process.ready["admin"]
    try:
        probes = httpx.Client(timeout=5)
        assert probes.get(probe + "/livez").status_code == 200
        assert probes.get(probe + "/readyz").json()["status"] == "ready"
        assert probes.get(probe + "/metrics").status_code == 200
        assert probes.get(probe + "/control/v1/status").status_code == 404
        assert probes.get(admin + "/control/v1/status").status_code == 401

        client = anthropic.Anthropic(base_url=proxy, api_key=CLIENT_KEY, max_retries=0, timeout=30)
        # A stream of about 1.6 s (80 tokens, 20 ms apart), started before the signal.
        started = threading.Event()
        outcome = {}

        def stream():
            headers = {"x-sim-output-tokens": "80", "x-sim-token-interval-ms": "20"}
            with client.messages.stream(model=MODEL, max_tokens=200, messages=[{"role": "user", "content": PROMPT}],
                                        extra_headers=headers) as events:
                types = []
                for event in events:
                    types.append(event.type)
                    started.set()
                outcome["types"] = types
                outcome["tokens"] = events.get_final_message().usage.output_tokens

        streamer = threading.Thread(target=stream)
        streamer.start()
        assert started.wait(10)

        signalled = time.monotonic()
        process.proc.send_signal(signal.SIGTERM)
        while probes.get(probe + "/readyz").status_code != 503:
            assert time.monotonic() - signalled < 2, "/readyz never turned 503"
        turned_ms = (time.monotonic() - signalled) * 1000
        print(f"\n/readyz answered 503 {turned_ms:.1f} ms after SIGTERM")
        assert turned_ms < 100, f"/readyz took {turned_ms:.1f} ms to answer 503"
        ready = probes.get(admin + "/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "shutting_down"
        assert probes.get(probe + "/livez").status_code == 200

        # Within the delay a new request is still served (endpoints are being removed).
        late = client.messages.create(model=MODEL, max_tokens=50, messages=[{"role": "user", "content": PROMPT}])
        assert late.usage.output_tokens > 0
        assert time.monotonic() - signalled < 1.0, "the test itself was too slow to land inside the delay"

        # After it the listener is closed, while the stream started before finishes.
        host, port = process.ready["proxy"].rsplit(":", 1)
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
            except OSError:
                break
            assert time.monotonic() < deadline, "the proxy listener never closed"
            time.sleep(0.02)
        closed_after = time.monotonic() - signalled
        assert closed_after >= 0.95, f"the listener closed {closed_after:.2f} s after SIGTERM, before the 1 s delay"
        streamer.join(15)
        assert outcome.get("types", [])[-1:] == ["message_stop"], outcome
        assert outcome["tokens"] == 80
        assert process.proc.wait(timeout=15) == 0
    finally:
        process.stop()

    lines = process.log_path.read_text().splitlines()
    assert lines, "no log lines"
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys(), entry
    access = [entry for entry in entries if entry["message"] == "request"]
    assert len(access) == 2, access
    for entry in access:
        assert entry["status"] == 200 and entry["region"] == "primary" and entry["attempts"] == 1
        assert entry["model"] == MODEL and entry["output_tokens"] > 0 and entry["latency_ms"] > 0
    assert len({entry["request_id"] for entry in access}) == 2
    text = "\n".join(lines)
    for secret in ("PROMPT-MARKER", CLIENT_KEY, SIM_KEY):
        assert secret not in text, f"{secret} leaked into the log"
    assert any(entry["message"].startswith("shutting down") for entry in entries)


def test_log_format_flag_overrides_the_config(sim, tmp_path):
    regions = sim.ready["regions"]
    path = tmp_path / "ballast.yaml"
    path.write_text(config(regions["primary"], regions["secondary"]).replace("format: json", "format: text"))
    process = Process([BALLAST_BIN, "serve", "--config", str(path), "--log-format", "json"], tmp_path, "flag",
                      env={"E2E_UPSTREAM_KEY": SIM_KEY})
    try:
        assert httpx.get("http://" + process.ready["probe"] + "/livez", timeout=5).status_code == 200
    finally:
        assert process.stop() == 0
    lines = process.log_path.read_text().splitlines()
    assert lines and all(json.loads(line)["logger"] == "ballast" for line in lines)
