"""An AWS event-stream encoder written from the format's description, independent of Ballast's
Swift encoder: the e2e fake Bedrock sends its frames, so Ballast's decoder is judged against
bytes it did not make. Checked against botocore's own decoder in test_cloud_regions.py."""
import base64
import json
import struct
import zlib


def frame(headers, payload: bytes) -> bytes:
    encoded = b""
    for name, value in headers:
        raw_name = name.encode()
        raw_value = value.encode()
        encoded += struct.pack(">B", len(raw_name)) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value
    total = 16 + len(encoded) + len(payload)
    prelude = struct.pack(">II", total, len(encoded))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message) & 0xFFFFFFFF)


def chunk(event: dict) -> bytes:
    """One Bedrock `chunk` event carrying a Messages stream event."""
    payload = json.dumps({"bytes": base64.b64encode(json.dumps(event).encode()).decode()}).encode()
    return frame([(":event-type", "chunk"), (":content-type", "application/json"), (":message-type", "event")], payload)


def exception(kind: str, message: str) -> bytes:
    return frame([(":exception-type", kind), (":content-type", "application/json"), (":message-type", "exception")],
                 json.dumps({"message": message}).encode())
