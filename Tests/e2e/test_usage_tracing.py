"""Usage and traces end to end (issue 17): a real `ballast serve` in front of a scripted upstream
whose usage each test knows to the token (cache tokens included, streams and non-streams, a
retried answer and a hedge that lost), checked in /metrics, in the SQLite store and in
`ballast stats`; and OTLP/HTTP protobuf traces decoded with the official `opentelemetry-proto`
package from what Ballast POSTed to a test collector."""
import json
import re
import socket
import sqlite3
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anthropic
import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

import scripted_upstream as su
from conftest import BALLAST_BIN, Process, eventually

MODEL = "claude-sonnet-4-6"
KEY = "sk-usage-e2e"
# The shipped example prices of claude-sonnet-4*: input, output, cache write, cache read per MTok.
PRICE = {"input": 3.0, "output": 15.0, "cache_creation": 3.75, "cache_read": 0.30}


class Collector:
    """An OTLP/HTTP collector: keeps every body POSTed to /v1/traces."""

    def __init__(self):
        self.bodies = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                collector.bodies.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spans(self):
        result = []
        for _, _, body in list(self.bodies):
            request = ExportTraceServiceRequest.FromString(body)
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    result.extend((resource_spans.resource, span) for span in scope_spans.spans)
        return result

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def config(primary, secondary, tracing=""):
    return f"""
listen: 127.0.0.1:0
admin: {{ listen: 127.0.0.1:0, open: true }}
upstream:
  auth: {{ mode: static, api_key_env: USAGE_UPSTREAM_KEY }}
  timeouts: {{ connect: 1s, first_byte: 10s, idle: 10s, total: 30s }}
  hedge: {{ min_samples: 5, quantile: 0.5, max_extra_ratio: 0.5 }}
  regions:
    - {{ name: primary, base_url: "{primary}", weight: 100 }}
    - {{ name: secondary, base_url: "{secondary}", weight: 0 }}
{tracing}
"""


def serve(tmp, primary, secondary, name, tracing="", env=None):
    path = tmp / f"{name}.yaml"
    path.write_text(config(primary, secondary, tracing))
    return Process([BALLAST_BIN, "serve", "--config", str(path)], tmp, name,
                   env={"USAGE_UPSTREAM_KEY": KEY, **(env or {})})


def metric_samples(admin, name):
    text = httpx.get(f"http://{admin}/metrics", timeout=5).text
    samples = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            labels, value = line.rsplit(" ", 1)
            samples[labels[len(name):]] = float(value)
    return samples


def labelled(samples, **labels):
    total = 0.0
    for key, value in samples.items():
        found = dict(re.findall(r'(\w+)="([^"]*)"', key))
        if all(found.get(k) == v for k, v in labels.items()):
            total += value
    return total


def usage_sum(*usages):
    out = {"input": 0, "output": 0, "cache_creation": 0, "cache_read": 0}
    for u in usages:
        out["input"] += u["input_tokens"]
        out["output"] += u["output_tokens"]
        out["cache_creation"] += u.get("cache_creation_input_tokens") or 0
        out["cache_read"] += u.get("cache_read_input_tokens") or 0
    return out


def test_counters_store_and_stats_agree_to_the_token(tmp_path):
    primary, secondary = su.pair()
    collector = Collector()
    process = serve(tmp_path, primary.url, secondary.url, "usage",
                    tracing=f"tracing: {{ otlp_endpoint: \"{collector.url}\", export_interval: 200ms }}")
    admin = process.ready["admin"]
    try:
        # Only the `hedge:` request may hedge: with this config's low hedge quantile any other
        # could too, and a fast loser's whole answer would be (rightly) counted as overhead.
        client = anthropic.Anthropic(base_url="http://" + process.ready["proxy"], api_key="sk-client", max_retries=0,
                                     timeout=20, default_headers={"x-ballast-hedge": "off"})
        hedging = {"x-ballast-hedge": "on"}
        # First-byte samples for the hedge delay (5 needed), all from the fast primary.
        for index in range(8):
            client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": f"warm:{index}"}])
        plain = client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "plain:"}])
        assert plain.usage.cache_read_input_tokens == 2000
        with client.messages.stream(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "stream:"}]) as s:
            streamed = s.get_final_message()
        assert streamed.usage.output_tokens == su.STREAM_FINAL_OUTPUT
        with client.messages.stream(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "retry:"}]) as s:
            retried = s.get_final_message()
        assert retried.usage.output_tokens == su.RETRY_FINAL_OUTPUT
        raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=10, stream=True, extra_headers=hedging,
                                                      messages=[{"role": "user", "content": "hedge:"}])
        assert raw.headers.get("x-ballast-hedged") is None, "the primary (not the hedge) should win"
        hedged_events = list(raw.parse())
        assert hedged_events[-1].type == "message_stop"
        client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "nousage:"}])
    finally:
        stopped = process.stop()
        collector.close()
        primary.close()
        secondary.close()
    assert stopped == 0
    calls = primary.shared["calls"]
    assert calls["retry"] == 2 and calls["hedge"] == 2, calls

    delivered = usage_sum(*([su.WARM] * 8), su.PLAIN, dict(su.STREAM_START, output_tokens=su.STREAM_FINAL_OUTPUT),
                          dict(su.RETRY_START, output_tokens=su.RETRY_FINAL_OUTPUT),
                          dict(su.HEDGE_START, output_tokens=su.HEDGE_FINAL_OUTPUT))
    # Overhead: the retried attempt reported its message_start, the losing hedge too.
    retry_overhead = usage_sum(su.RETRY_START)
    hedge_overhead = usage_sum(su.HEDGE_START)
    billed = {k: delivered[k] + retry_overhead[k] + hedge_overhead[k] for k in delivered}
    cost = sum(billed[k] * PRICE[k] for k in billed) / 1e6

    # The store, per attempt.
    database = tmp_path / "ballast.db"
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens), "
                         "sum(cost_usd) FROM attempts").fetchone()
        assert list(row[:4]) == [billed["input"], billed["output"], billed["cache_creation"], billed["cache_read"]]
        assert abs(row[4] - cost) < 1e-9
        overhead = dict(db.execute("SELECT overhead, sum(coalesce(input_tokens,0) + coalesce(output_tokens,0) + "
                                   "coalesce(cache_creation_tokens,0) + coalesce(cache_read_tokens,0)) FROM attempts "
                                   "WHERE overhead IS NOT NULL GROUP BY overhead").fetchall())
        assert overhead == {"retry": sum(retry_overhead.values()), "hedge": sum(hedge_overhead.values())}
        (usage_state,) = db.execute("SELECT usage FROM requests WHERE id = (SELECT max(id) FROM requests)").fetchone()
        assert usage_state == "none", "an answer without usage is unknown, not zero"
        (plain_row,) = db.execute("SELECT cache_read_tokens FROM requests WHERE cache_read_tokens = 2000").fetchall()
        assert plain_row == (2000,)
        (secrets,) = db.execute("SELECT count(*) FROM requests WHERE credential LIKE ? OR client LIKE ?",
                                (f"%{KEY}%", "%sk-client%")).fetchone()
        assert secrets == 0

    # `ballast stats`: the same totals, and the cache-efficiency line.
    stats = json.loads(subprocess.run([BALLAST_BIN, "stats", "--db", str(database), "--since", "1h", "--json"],
                                      capture_output=True, text=True, check=True).stdout)["usage"]
    totals = {k: sum(r[f"{k}_tokens"] for r in stats["rows"]) for k in billed}
    assert totals == billed
    assert abs(sum(r["cost_usd"] for r in stats["rows"]) - cost) < 1e-9
    assert sum(r["overhead_tokens"] for r in stats["rows"]) == sum(retry_overhead.values()) + sum(hedge_overhead.values())
    assert sum(r["unknown_usage"] for r in stats["rows"]) == 1
    all_input = billed["input"] + billed["cache_creation"] + billed["cache_read"]
    assert abs(stats["cache_efficiency"] - billed["cache_read"] / all_input) < 1e-12
    table = subprocess.run([BALLAST_BIN, "stats", "--db", str(database), "--since", "1h"],
                           capture_output=True, text=True, check=True).stdout
    assert "cache efficiency:" in table and "cache read" in table


def test_metrics_count_every_attempt_and_bound_their_labels(tmp_path):
    primary, secondary = su.pair()
    process = serve(tmp_path, primary.url, secondary.url, "metrics")
    admin = process.ready["admin"]
    try:
        client = anthropic.Anthropic(base_url="http://" + process.ready["proxy"], api_key="sk-client", max_retries=0,
                                     timeout=20, default_headers={"x-ballast-hedge": "off"})
        client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "plain:"}])
        with client.messages.stream(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "retry:"}]) as s:
            s.get_final_message()
        client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "nousage:"}])
        try:
            with client.messages.stream(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "cut:"}]) as s:
                s.get_final_message()
            raise AssertionError("a stream cut before its end must end in an error")
        except anthropic.APIError:
            pass
        # 40 invented model names: past metrics.max_models (32) they fold into `other`.
        for index in range(40):
            client.messages.create(model=f"claude-made-up-{index}", max_tokens=10,
                                   messages=[{"role": "user", "content": "warm:"}])
        tokens = metric_samples(admin, "ballast_tokens_total")
        costs = metric_samples(admin, "ballast_cost_usd_total")
        overhead = metric_samples(admin, "ballast_overhead_tokens_total")
        unknown = metric_samples(admin, "ballast_usage_unknown_total")
        page = httpx.get(f"http://{admin}/", timeout=5).text
    finally:
        assert process.stop() == 0
        primary.close()
        secondary.close()
    billed = usage_sum(su.PLAIN, su.RETRY_START, dict(su.RETRY_START, output_tokens=su.RETRY_FINAL_OUTPUT), su.CUT_START)
    for kind, count in billed.items():
        assert labelled(tokens, type=kind, model=MODEL) == count, kind
    cost = sum(billed[k] * PRICE[k] for k in billed) / 1e6
    assert abs(labelled(costs, model=MODEL) - cost) < 1e-9
    assert labelled(overhead, reason="retry") == sum(usage_sum(su.RETRY_START).values())
    assert labelled(unknown, reason="missing") == 1
    assert labelled(unknown, reason="cut") == 1
    with sqlite3.connect(tmp_path / "ballast.db") as db:
        states = [row[0] for row in db.execute("SELECT usage FROM requests WHERE model = ? ORDER BY id", (MODEL,))]
        assert states == ["complete", "complete", "none", "partial"], states
        (cut_input, cut_output) = db.execute("SELECT input_tokens, output_tokens FROM attempts WHERE usage = 'partial' AND overhead IS NULL").fetchone()
        assert (cut_input, cut_output) == (su.CUT_START["input_tokens"], su.CUT_START["output_tokens"])
    models = {dict(re.findall(r'(\w+)="([^"]*)"', key))["model"] for key in tokens}
    assert "other" in models and len(models) <= 33
    client_label = {dict(re.findall(r'(\w+)="([^"]*)"', key))["client"] for key in tokens}
    assert len(client_label) == 1 and all(c.startswith("key-") for c in client_label)
    assert not any("sk-client" in key for key in tokens)
    # The status page's tokens/s and cost/h cover the same window, so their ratio is the
    # counters' dollars per token (times 3600), whatever the window's length.
    per_second = float(re.search(r'id="tokens-per-second">([0-9.]+)<', page).group(1))
    per_hour = float(re.search(r'id="cost-per-hour">([0-9.]+)<', page).group(1))
    assert per_second > 0 and per_hour > 0
    expected = 3600 * labelled(costs) / labelled(tokens)
    assert abs(per_hour / per_second - expected) / expected < 0.02


def test_a_traceparent_is_continued_and_decoded_by_opentelemetry_proto(tmp_path):
    primary, secondary = su.pair()
    collector = Collector()
    process = serve(tmp_path, primary.url, secondary.url, "traced",
                    tracing=f"tracing: {{ otlp_endpoint: \"{collector.url}\", export_interval: 200ms, "
                            f"headers_env: OTLP_HEADERS }}\nlog: {{ access: true, format: json }}",
                    env={"OTLP_HEADERS": "x-collector-key=c0ll3ct0r"})
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent = "00f067aa0ba902b7"
    prompt = "stream: the secret prompt 8c1f"
    try:
        client = anthropic.Anthropic(base_url="http://" + process.ready["proxy"], api_key="sk-client", max_retries=0,
                                     timeout=20, default_headers={"x-ballast-hedge": "off"})
        with client.messages.stream(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": prompt}],
                                    extra_headers={"traceparent": f"00-{trace_id}-{parent}-01",
                                                   "tracestate": "vendor=abc"}) as s:
            s.get_final_message()
        client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "plain:"}],
                               extra_headers={"traceparent": "00-NOT-A-VALID-HEADER-01"})
        assert eventually(lambda: len(collector.spans()) >= 4, timeout=10)
    finally:
        assert process.stop() == 0
        collector.close()
        primary.close()
        secondary.close()
    path, headers, _ = collector.bodies[0]
    assert path == "/v1/traces"
    assert {k.lower(): v for k, v in headers.items()}["content-type"] == "application/x-protobuf"
    assert {k.lower(): v for k, v in headers.items()}["x-collector-key"] == "c0ll3ct0r"
    spans = collector.spans()
    resource = spans[0][0]
    assert {a.key: a.value.string_value for a in resource.attributes}["service.name"] == "ballast"
    continued = [span for _, span in spans if span.trace_id.hex() == trace_id]
    server = [s for s in continued if s.kind == s.SPAN_KIND_SERVER]
    attempts = [s for s in continued if s.kind == s.SPAN_KIND_CLIENT]
    assert len(server) == 1 and len(attempts) == 1
    assert server[0].parent_span_id.hex() == parent
    assert server[0].trace_state == "vendor=abc"
    assert attempts[0].parent_span_id == server[0].span_id
    assert server[0].start_time_unix_nano <= attempts[0].start_time_unix_nano <= attempts[0].end_time_unix_nano
    attributes = {a.key: a.value for a in attempts[0].attributes}
    assert attributes["gen_ai.system"].string_value == "anthropic"
    assert attributes["gen_ai.request.model"].string_value == MODEL
    assert attributes["gen_ai.usage.input_tokens"].int_value == su.STREAM_START["input_tokens"]
    assert attributes["gen_ai.usage.output_tokens"].int_value == su.STREAM_FINAL_OUTPUT
    assert attributes["gen_ai.usage.cache_read.input_tokens"].int_value == su.STREAM_START["cache_read_input_tokens"]
    assert attributes["ballast.region"].string_value == "primary"
    assert attributes["ballast.attempt"].int_value == 1
    assert attributes["ballast.attempt.kind"].string_value == "first"
    assert attributes["ballast.circuit_state"].string_value == "closed"
    assert "ballast.probe" not in attributes
    # The upstream got the attempt span as its parent, never the caller's header as it came.
    stream_headers = [h for scenario, h in primary.requests if scenario == "stream"][0]
    assert stream_headers["traceparent"] == f"00-{trace_id}-{attempts[0].span_id.hex()}-01"
    assert stream_headers["tracestate"] == "vendor=abc"
    # The malformed header started a new trace, and what went upstream is well formed.
    plain_headers = [h for scenario, h in primary.requests if scenario == "plain"][0]
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", plain_headers["traceparent"])
    new_trace = plain_headers["traceparent"][3:35]
    assert new_trace != trace_id
    fresh = [span for _, span in spans if span.trace_id.hex() == new_trace]
    assert {s.kind for s in fresh} == {fresh[0].SPAN_KIND_SERVER, fresh[0].SPAN_KIND_CLIENT}
    assert [s for s in fresh if s.kind == s.SPAN_KIND_SERVER][0].parent_span_id == b""
    # The access log names each request's trace, to go from a log line to its trace.
    access = [json.loads(line) for line in process.log_path.read_text().splitlines() if '"message":"request"' in line]
    assert {line.get("trace_id") for line in access} == {trace_id, new_trace}
    # Never a prompt, an answer or a key in what was exported.
    for _, _, body in collector.bodies:
        assert b"secret prompt" not in body and b"hello" not in body and KEY.encode() not in body
        assert b"sk-client" not in body


def test_with_the_collector_down_requests_pass_and_spans_are_dropped_and_counted(tmp_path):
    primary, secondary = su.pair()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    process = serve(tmp_path, primary.url, secondary.url, "down",
                    tracing=f"tracing: {{ otlp_endpoint: \"http://127.0.0.1:{dead}\", export_interval: 100ms, "
                            f"max_queue_spans: 16, max_batch_spans: 4 }}")
    admin = process.ready["admin"]
    try:
        client = anthropic.Anthropic(base_url="http://" + process.ready["proxy"], api_key="sk-client", max_retries=0,
                                     timeout=20)
        for index in range(30):
            # No hedges (the low hedge quantile of this config would add some): one attempt each.
            client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": f"warm:{index}"}],
                                   extra_headers={"x-ballast-hedge": "off"})

        def dropped():
            samples = metric_samples(admin, "ballast_trace_spans_dropped_total")
            return labelled(samples, reason="export_failed") + labelled(samples, reason="queue_full")

        def held():
            return metric_samples(admin, "ballast_trace_queue_spans")[""]

        # 30 requests, 2 spans each: every one dropped and counted, or still held in the bounded
        # queue (exports back off after failures), none exported.
        assert eventually(lambda: dropped() + held() == 60 and dropped() >= 44, timeout=10), (dropped(), held())
        assert labelled(metric_samples(admin, "ballast_trace_spans_exported_total")) == 0
        assert labelled(metric_samples(admin, "ballast_trace_spans_dropped_total"), reason="export_failed") > 0
        assert metric_samples(admin, "ballast_trace_queue_spans")[""] <= 16
    finally:
        assert process.stop() == 0
        primary.close()
        secondary.close()
