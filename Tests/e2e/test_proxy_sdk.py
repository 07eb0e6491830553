"""The official anthropic SDK talks to Ballast, which talks to the simulator."""
import os
import signal
import socket
import time

import anthropic
import httpx
import pytest

from conftest import SIM_KEY, eventually, sim_stats, start_ballast

MODEL = "claude-sonnet-4-6"
MESSAGES = [{"role": "user", "content": "Tell me about ballast tanks."}]


def sdk(proxy_url: str) -> anthropic.Anthropic:
    # The client's key is replaced by Ballast's configured one (static mode).
    return anthropic.Anthropic(base_url=proxy_url, api_key="sk-client-not-used", max_retries=0, timeout=30)


def test_non_streaming_message(proxy_url):
    # Hedging off: this test pins the attempt count.
    raw = sdk(proxy_url).messages.with_raw_response.create(model=MODEL, max_tokens=200, messages=MESSAGES,
                                                           extra_headers={"x-ballast-hedge": "off"})
    message = raw.parse()
    assert message.id.startswith("msg_")
    assert message.role == "assistant"
    assert message.content[0].type == "text" and message.content[0].text
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert raw.headers["x-ballast-region"] == "primary"
    assert raw.headers["x-ballast-attempts"] == "1"
    assert float(raw.headers["x-ballast-overhead-ms"]) >= 0
    assert raw.headers["request-id"].startswith("req_")


def test_streamed_text_equals_the_simulators_text(proxy_url, sim):
    client = sdk(proxy_url)
    plain = client.messages.create(model=MODEL, max_tokens=200, messages=MESSAGES)
    with client.messages.stream(model=MODEL, max_tokens=200, messages=MESSAGES) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_message()
    streamed_text = "".join(block.text for block in final.content if block.type == "text")
    assert streamed_text == plain.content[0].text
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert "content_block_delta" in events or "text" in events
    # And it is the simulator's own text, unchanged by the proxy.
    direct = anthropic.Anthropic(base_url=sim.ready["regions"]["primary"], api_key=SIM_KEY, max_retries=0)
    assert direct.messages.create(model=MODEL, max_tokens=200, messages=MESSAGES).content[0].text == streamed_text


def test_count_tokens(proxy_url):
    result = sdk(proxy_url).messages.count_tokens(model=MODEL, messages=MESSAGES)
    assert result.input_tokens > 0


def test_upstream_400_is_relayed_unchanged(proxy_url, sim):
    body = {"model": MODEL, "max_tokens": 0, "messages": MESSAGES}
    direct = httpx.post(sim.ready["regions"]["primary"] + "/v1/messages", json=body,
                        headers={"x-api-key": SIM_KEY, "anthropic-version": "2023-06-01"})
    proxied = httpx.post(proxy_url + "/v1/messages", json=body, headers={"x-api-key": "anything"})
    assert direct.status_code == 400
    assert proxied.status_code == direct.status_code
    assert proxied.json() == direct.json()
    with pytest.raises(anthropic.BadRequestError) as raised:
        sdk(proxy_url).messages.create(model=MODEL, max_tokens=0, messages=MESSAGES)
    assert raised.value.body["error"]["type"] == "invalid_request_error"


def test_malformed_json_is_an_anthropic_shaped_400(proxy_url):
    response = httpx.post(proxy_url + "/v1/messages", content=b'{"model": "x", "messages": [',
                          headers={"content-type": "application/json", "x-api-key": "k"})
    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_oversized_body_is_request_too_large(proxy_url):
    padding = "x" * (33 * 1024 * 1024)
    body = ('{"model":"%s","max_tokens":5,"messages":[{"role":"user","content":"%s"}]}' % (MODEL, padding)).encode()
    response = httpx.post(proxy_url + "/v1/messages", content=body,
                          headers={"content-type": "application/json", "x-api-key": "k"}, timeout=60)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "request_too_large"


def test_client_disconnect_mid_stream_aborts_the_upstream(proxy_url, admin_url, sim):
    primary = sim.ready["regions"]["primary"]
    before = sim_stats(primary)
    body = {"model": MODEL, "max_tokens": 100000, "stream": True, "messages": MESSAGES}
    headers = {"x-api-key": "k", "x-sim-output-tokens": "100000", "x-sim-token-interval-ms": "5"}
    with httpx.Client(timeout=30) as client:
        with client.stream("POST", proxy_url + "/v1/messages", json=body, headers=headers) as response:
            assert response.status_code == 200
            seen = 0
            for line in response.iter_lines():
                if line.startswith("event: content_block_delta"):
                    seen += 1
                if seen >= 5:
                    break
    # The client is gone: Ballast must abort its upstream transfer, so the simulator's
    # stream ends as aborted and nothing stays in flight.
    assert eventually(lambda: sim_stats(primary)["streams_aborted_by_client"] > before["streams_aborted_by_client"])
    assert eventually(lambda: sim_stats(primary)["streams_active"] == 0)
    assert eventually(lambda: httpx.get(admin_url + "/healthz").json()["upstream"]["active_transfers"] == 0)
    assert eventually(lambda: httpx.get(admin_url + "/healthz").json()["proxy"]["in_flight"] == 0)


def test_sigterm_during_a_stream_lets_it_finish(sim, tmp_path):
    regions = sim.ready["regions"]
    process = start_ballast(tmp_path, regions["primary"], regions["secondary"], name="draining")
    proxy_url = "http://" + process.ready["proxy"]
    try:
        client = sdk(proxy_url)
        headers = {"x-sim-output-tokens": "80", "x-sim-token-interval-ms": "20"}
        with client.messages.stream(model=MODEL, max_tokens=200, messages=MESSAGES, extra_headers=headers) as stream:
            events = iter(stream)
            first = next(events)
            assert first.type == "message_start"
            process.proc.send_signal(signal.SIGTERM)
            rest = [event.type for event in events]
            final = stream.get_final_message()
        assert rest[-1] == "message_stop"
        assert final.usage.output_tokens == 80
        assert process.proc.wait(timeout=15) == 0
        host, port = process.ready["proxy"].rsplit(":", 1)
        with pytest.raises(OSError):
            socket.create_connection((host, int(port)), timeout=1).close()
    finally:
        process.stop()


def test_a_dead_primary_is_retried_on_the_standby(sim, tmp_path):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_url = "http://127.0.0.1:%d" % dead.getsockname()[1]
    dead.close()  # nothing listens there now
    process = start_ballast(tmp_path, dead_url, sim.ready["regions"]["secondary"], name="failover")
    try:
        raw = sdk("http://" + process.ready["proxy"]).messages.with_raw_response.create(
            model=MODEL, max_tokens=50, messages=MESSAGES)
        assert raw.parse().content[0].text
        assert raw.headers["x-ballast-region"] == "secondary"
        assert raw.headers["x-ballast-attempts"] == "2"
    finally:
        process.stop()


def test_secrets_stay_out_of_the_logs(ballast):
    assert SIM_KEY not in ballast.logs()
