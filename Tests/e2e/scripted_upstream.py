"""A scripted Anthropic-shaped upstream for the usage and tracing tests: each answer's usage is
fixed by the scenario named in the request's first message, so the tests know to the token
what Ballast should count. Loopback only, a thread per connection, every wait bounded."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Usage of each scenario's delivered answer (the four counts Ballast prices).
PLAIN = {"input_tokens": 11, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 2000, "output_tokens": 7}
STREAM_START = {"input_tokens": 13, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 500, "output_tokens": 1}
STREAM_FINAL_OUTPUT = 21
RETRY_START = {"input_tokens": 17, "cache_creation_input_tokens": None, "cache_read_input_tokens": 300, "output_tokens": 1}
RETRY_FINAL_OUTPUT = 30
HEDGE_START = {"input_tokens": 19, "cache_creation_input_tokens": 40, "cache_read_input_tokens": 0, "output_tokens": 1}
HEDGE_FINAL_OUTPUT = 9
CUT_START = {"input_tokens": 5, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}
WARM = {"input_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}


def message(model, text, usage, content=None):
    return {"id": "msg_scripted", "type": "message", "role": "assistant", "model": model,
            "content": content or [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "stop_sequence": None, **({"usage": usage} if usage is not None else {})}


def sse(name, data):
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


class Upstream:
    """One region. `calls` counts requests per scenario across every region sharing `shared`."""

    def __init__(self, name, shared):
        self.name = name
        self.shared = shared
        self.requests = []  # (scenario, headers) per request received
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length))
                upstream.handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def handle(self, h, body):
        content = body["messages"][0]["content"]
        scenario = content.split(":", 1)[0] if isinstance(content, str) else "plain"
        model = body.get("model", "claude-sonnet-4-6")
        with self.shared["lock"]:
            self.requests.append((scenario, {k.lower(): v for k, v in h.headers.items()}))
            call = self.shared["calls"].get(scenario, 0)
            self.shared["calls"][scenario] = call + 1
        try:
            if scenario == "plain":
                # A tool_use input carries keys named like usage's: only the top-level usage counts.
                tool = [{"type": "tool_use", "id": "toolu_1", "name": "count",
                         "input": {"input_tokens": 999, "output_tokens": 888}}]
                usage = dict(PLAIN, server_tool_use={"web_search_requests": 1})
                self.json(h, message(model, "", usage, content=tool))
            elif scenario == "nousage":
                self.json(h, message(model, "no usage here", None))
            elif scenario == "warm":
                self.json(h, message(model, "ok", WARM))
            elif scenario == "stream":
                self.stream(h, model, STREAM_START, STREAM_FINAL_OUTPUT)
            elif scenario == "cut":
                # Content reaches the client, then the connection drops before the final
                # message_delta: the usage is partial (input known, output not), counted as cut.
                self.head(h)
                self.write(h, sse("message_start", {"type": "message_start",
                                                    "message": message(model, "", CUT_START, content=[])}))
                self.write(h, sse("content_block_start", {"type": "content_block_start", "index": 0,
                                                          "content_block": {"type": "text", "text": ""}}))
                self.write(h, sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                          "delta": {"type": "text_delta", "text": "half"}}))
                h.close_connection = True
                h.wfile.flush()
                h.connection.shutdown(2)
            elif scenario == "retry":
                if call == 0:
                    # message_start (the input is billed), then an overload before any content:
                    # Ballast discards it and tries again.
                    self.head(h)
                    self.write(h, sse("message_start", {"type": "message_start",
                                                        "message": message(model, "", RETRY_START, content=[])}))
                    self.write(h, sse("error", {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}))
                    self.end(h)
                else:
                    self.stream(h, model, RETRY_START, RETRY_FINAL_OUTPUT)
            elif scenario == "hedge":
                if self.name == "primary":
                    time.sleep(0.6)  # slow first byte: Ballast hedges to the secondary
                    self.stream(h, model, HEDGE_START, HEDGE_FINAL_OUTPUT)
                else:
                    # The hedge answers its head and message_start at once, then stalls before
                    # any content: the primary's content comes first and wins.
                    self.head(h)
                    self.write(h, sse("message_start", {"type": "message_start",
                                                        "message": message(model, "", HEDGE_START, content=[])}))
                    time.sleep(3)
                    self.stream_rest(h, HEDGE_FINAL_OUTPUT)
            else:
                self.json(h, message(model, "ok", WARM))
        except (BrokenPipeError, ConnectionResetError):
            pass  # Ballast cancelled this attempt

    def json(self, h, document):
        data = json.dumps(document).encode()
        h.send_response(200)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def head(self, h):
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("transfer-encoding", "chunked")
        h.end_headers()

    def write(self, h, data):
        h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        h.wfile.flush()

    def end(self, h):
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()

    def stream(self, h, model, start, final_output):
        self.head(h)
        self.write(h, sse("message_start", {"type": "message_start", "message": message(model, "", start, content=[])}))
        self.stream_rest(h, final_output)

    def stream_rest(self, h, final_output):
        self.write(h, sse("content_block_start", {"type": "content_block_start", "index": 0,
                                                  "content_block": {"type": "text", "text": ""}}))
        self.write(h, sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                  "delta": {"type": "text_delta", "text": "hello"}}))
        self.write(h, sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
        self.write(h, sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                                            "usage": {"output_tokens": final_output}}))
        self.write(h, sse("message_stop", {"type": "message_stop"}))
        self.end(h)


def pair():
    shared = {"lock": threading.Lock(), "calls": {}}
    return Upstream("primary", shared), Upstream("secondary", shared)
