"""Fake Amazon Bedrock and Google Vertex AI endpoints for the e2e tests, written in Python so
that they judge Ballast with code it does not share: SigV4 signatures are recomputed by
botocore, event-stream frames come from eventstream.py (struct + zlib), and service-account
JWTs are verified with the `openssl` command."""
import base64
import json
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import eventstream

AWS_KEY_ID = "AKIAE2EEXAMPLE"
AWS_SECRET = "e2e/secret+access/key+never/logged"
AWS_SESSION = "e2e-session-token-never-logged"
REPLY_TEXT = "Ballast tanks hold water."


def message(model: str) -> dict:
    return {"id": "msg_cloud01", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": REPLY_TEXT}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 6}}


def stream_events(model: str) -> list:
    start = message(model)
    start["content"] = []
    start["usage"] = {"input_tokens": 12, "output_tokens": 1}
    words = REPLY_TEXT.split(" ")
    events = [{"type": "message_start", "message": start},
              {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}]
    for i, word in enumerate(words):
        events.append({"type": "content_block_delta", "index": 0,
                       "delta": {"type": "text_delta", "text": word + (" " if i < len(words) - 1 else "")}})
    events += [{"type": "content_block_stop", "index": 0},
               {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 6}},
               {"type": "message_stop"}]
    return events


class FakeServer:
    def __init__(self, handler_class):
        self.requests = []
        self.mode = "ok"
        self.lock = threading.Lock()
        owner = self

        class Handler(handler_class):
            fake = owner

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class CloudHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("content-length", "0")))

    def reply(self, status: int, body: bytes, content_type="application/json", headers=None):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class BedrockHandler(CloudHandler):
    def do_POST(self):
        body = self.read_body()
        record = {"path": self.path, "headers": dict(self.headers.items()), "body": body}
        with self.fake.lock:
            self.fake.requests.append(record)
            mode = self.fake.mode
        problem = self.signature_problem(body)
        if problem:
            record["problem"] = problem
            return self.error(403, "InvalidSignatureException", problem)
        if not self.path.startswith("/model/") or not (self.path.endswith("/invoke") or self.path.endswith("/invoke-with-response-stream")):
            return self.error(404, "ResourceNotFoundException", "no such operation")
        document = json.loads(body)
        if "model" in document or "stream" in document or document.get("anthropic_version") != "bedrock-2023-05-31":
            record["problem"] = "body not rewritten"
            return self.error(400, "ValidationException", "body not rewritten for Bedrock")
        model = self.path.split("/")[2]
        if mode == "throttle":
            return self.error(429, "ThrottlingException", "Too many requests, please wait before trying again.")
        if mode == "expired":
            return self.error(403, "InvalidSignatureException",
                              "Signature expired: 20200101T000000Z is now earlier than 20200101T000500Z (20200101T001000Z - 5 min.)")
        if self.path.endswith("/invoke"):
            return self.reply(200, json.dumps(message(model)).encode(), headers={"x-amzn-requestid": "e2e-1"})
        frames = [eventstream.chunk(event) for event in stream_events(model)]
        if mode == "badcrc":
            bad = bytearray(frames[3])
            bad[-1] ^= 0xFF
            frames[3] = bytes(bad)
        if mode == "midthrottle":
            frames = frames[:3] + [eventstream.exception("throttlingException", "Too many tokens")]
        stream = b"".join(frames)
        self.reply(200, stream, content_type="application/vnd.amazon.eventstream")

    def error(self, status, kind, text):
        self.reply(status, json.dumps({"message": text}).encode(),
                   headers={"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"})

    def signature_problem(self, body: bytes):
        """Recomputes the signature with botocore from the headers the request signed."""
        auth = self.headers.get("authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return "no SigV4 authorization"
        fields = dict(part.strip().split("=", 1) for part in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        credential = fields["Credential"].split("/")
        if credential[0] != AWS_KEY_ID or credential[2] != "us-east-1" or credential[3] != "bedrock":
            return f"wrong credential scope {fields['Credential']}"
        if self.headers.get("x-amz-security-token") != AWS_SESSION:
            return "wrong session token"
        signed = fields["SignedHeaders"].split(";")
        headers = {name: self.headers.get(name) for name in signed}
        request = AWSRequest(method="POST", url=f"http://{self.headers.get('host')}{self.path}", data=body, headers=headers)
        request.context["timestamp"] = self.headers.get("x-amz-date")
        signer = SigV4Auth(Credentials(AWS_KEY_ID, AWS_SECRET, AWS_SESSION), "bedrock", "us-east-1")
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if expected != fields["Signature"]:
            return f"signature mismatch: botocore computed {expected}"
        return None


class VertexHandler(CloudHandler):
    """The API and the token endpoint (`/token`) in one server."""

    def do_POST(self):
        body = self.read_body()
        if self.path == "/token":
            return self.token(body)
        record = {"path": self.path, "headers": dict(self.headers.items()), "body": body}
        with self.fake.lock:
            self.fake.requests.append(record)
            valid = self.headers.get("authorization", "").removeprefix("Bearer ") in self.fake.tokens
            mode = self.fake.mode
        if not valid:
            return self.google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        prefix = f"/v1/projects/{self.fake.project}/locations/{self.fake.location}/publishers/anthropic/models/"
        if not self.path.startswith(prefix):
            return self.google_error(404, "NOT_FOUND", "no such model path")
        model, _, method = self.path[len(prefix):].partition(":")
        document = json.loads(body)
        if "model" in document or document.get("anthropic_version") != "vertex-2023-10-16":
            record["problem"] = "body not rewritten"
            return self.google_error(400, "INVALID_ARGUMENT", "body not rewritten for Vertex")
        if mode == "exhausted":
            return self.google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model")
        if method == "rawPredict":
            return self.reply(200, json.dumps(message(model)).encode())
        if method != "streamRawPredict" or document.get("stream") is not True:
            return self.google_error(400, "INVALID_ARGUMENT", "streamRawPredict needs stream: true")
        sse = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in stream_events(model)).encode()
        self.reply(200, sse, content_type="text/event-stream")

    def token(self, body: bytes):
        form = dict(pair.split("=", 1) for pair in body.decode().split("&"))
        if form.get("grant_type") != "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer":
            return self.reply(400, b'{"error":"unsupported_grant_type"}')
        problem = self.fake.jwt_problem(form.get("assertion", ""))
        with self.fake.lock:
            self.fake.token_requests.append(problem)
        if problem:
            return self.reply(400, json.dumps({"error": "invalid_grant", "error_description": problem}).encode())
        with self.fake.lock:
            token = f"ya29.e2e-{len(self.fake.tokens)}-never-logged"
            self.fake.tokens.add(token)
        self.reply(200, json.dumps({"access_token": token, "expires_in": 3600, "token_type": "Bearer"}).encode())

    def google_error(self, status, code, text):
        self.reply(status, json.dumps({"error": {"code": status, "message": text, "status": code}}).encode())


class FakeBedrock(FakeServer):
    def __init__(self):
        super().__init__(BedrockHandler)


class FakeVertex(FakeServer):
    def __init__(self, tmp: Path, project="e2e-project", location="us-east5"):
        super().__init__(VertexHandler)
        self.project = project
        self.location = location
        self.tokens = set()
        self.token_requests = []
        self.key_path = tmp / "sa-private.pem"
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(self.key_path)],
                       check=True, capture_output=True)
        self.public_path = tmp / "sa-public.pem"
        subprocess.run(["openssl", "pkey", "-in", str(self.key_path), "-pubout", "-out", str(self.public_path)],
                       check=True, capture_output=True)
        self.private_pem = self.key_path.read_text()
        self.credentials_path = tmp / "sa.json"
        self.credentials_path.write_text(json.dumps({
            "type": "service_account", "project_id": project, "private_key_id": "e2e-key-1",
            "private_key": self.private_pem, "client_email": "ballast-e2e@e2e-project.iam.gserviceaccount.com",
            "token_uri": self.url + "/token"}))

    def jwt_problem(self, assertion: str):
        parts = assertion.split(".")
        if len(parts) != 3:
            return "not a JWT"

        def decode(part):
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

        header, claims = json.loads(decode(parts[0])), json.loads(decode(parts[1]))
        if header.get("alg") != "RS256" or claims.get("aud") != self.url + "/token" \
                or claims.get("iss") != "ballast-e2e@e2e-project.iam.gserviceaccount.com" \
                or "cloud-platform" not in claims.get("scope", "") or claims["exp"] - claims["iat"] > 3600:
            return f"bad JWT header or claims {header} {claims}"
        with tempfile.TemporaryDirectory() as tmp:
            data, sig = Path(tmp) / "data", Path(tmp) / "sig"
            data.write_bytes(f"{parts[0]}.{parts[1]}".encode())
            sig.write_bytes(decode(parts[2]))
            result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(self.public_path), "-signature", str(sig), str(data)],
                                    capture_output=True)
        return None if result.returncode == 0 else "JWT signature does not verify"
