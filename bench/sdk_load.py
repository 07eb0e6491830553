#!/usr/bin/env python3
"""Open-loop load through the official `anthropic` Python SDK, for `ballast bench`.

Why it exists: the resilience benchmarks compare Ballast with what an application gets from
the SDK's own retries (max_retries=2, its backoff, its Retry-After handling). Only the real
SDK shows that honestly, so the requests here go through `anthropic.AsyncAnthropic`.

Open loop: requests arrive as a Poisson process whether or not earlier ones have finished,
and each latency is measured from the request's *scheduled* arrival, so a slow server (or a
client waiting to retry) shows up as latency instead of silently lowering the offered load.

The arrivals are exactly those of Ballast's Swift `LoadGenerator` for the same seed: a
SplitMix64 stream, exponential gaps `-log(1 - u) / rate`, one extra draw per request (the
generator's "request kind" draw). A schedule of segments `[[seconds, rate], ...]` runs one
such process per segment, segment k seeded with `seed + k`, offset by the segments before
it; `ballast bench` runs `LoadGenerator` the same way, so all three ways of a benchmark see
the same arrivals.

Bounded in count (--max-requests) and time (--drain after the last arrival: whatever has not
finished by then is cancelled and reported as `unfinished`); it always stops by itself.

Prints (or writes to --output) one JSON object: `requests` (one outcome per request),
`probes` (see --probe-retry-after) and `summary`.
"""
import argparse
import asyncio
import json
import math
import os
import sys
import time

import anthropic
import httpx

MASK = (1 << 64) - 1


class SeededRandom:
    """SplitMix64, bit for bit as BallastCore.SeededRandom, so arrivals match the Swift side."""

    def __init__(self, seed: int):
        self.state = seed & MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def unit(self) -> float:
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)


def arrivals(schedule, seed: int, max_requests: int):
    """[(offset seconds, segment, index in segment)] for the whole schedule, in time order."""
    out = []
    start = 0.0
    for k, (seconds, rate) in enumerate(schedule):
        if rate > 0:
            rng = SeededRandom(seed + k)
            t = 0.0
            j = 0
            while len(out) < max_requests:
                t += -math.log(1 - rng.unit()) / rate
                if t >= seconds:
                    break
                rng.unit()  # LoadGenerator's per-request draw, kept so the streams stay aligned
                out.append((start + t, k, j))
                j += 1
        start += seconds
    return out


def prompt(segment: int, index: int) -> str:
    """The user message of request (segment, index); the Swift side builds the same text, so the
    simulator (whose reply length hashes the content) answers each way alike."""
    return f"Request {segment}.{index}: tell me something about ballast."


def header_int(headers, name):
    value = headers.get(name) if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def error_type_of(body):
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return error.get("type")
    return None


class Driver:
    def __init__(self, args, client: anthropic.AsyncAnthropic):
        self.args = args
        self.client = client
        self.results = []
        self.probes = []
        self.probe_random = SeededRandom(args.seed ^ 0x50B0)
        self.probe_tasks = []

    async def call(self, client, segment: int, index: int):
        """One request; returns (outcome fields, retry-after header or None)."""
        fields = {}
        retry_after = None
        try:
            raw = await client.messages.with_raw_response.create(
                model=self.args.model,
                max_tokens=self.args.max_tokens,
                messages=[{"role": "user", "content": prompt(segment, index)}],
                timeout=self.args.timeout,
            )
            headers = raw.headers
            message = await raw.parse()
            fields.update(ok=True, status=raw.status_code,
                          in_tok=message.usage.input_tokens, out_tok=message.usage.output_tokens)
            sdk_retries = getattr(raw, "retries_taken", None)
            if sdk_retries is not None:
                fields["sdk_retries"] = sdk_retries
        except anthropic.APIStatusError as error:
            headers = error.response.headers
            retry_after = headers.get("retry-after")
            fields.update(ok=False, status=error.status_code, error=error_type_of(error.body) or f"http_{error.status_code}",
                          message=str(error.message)[:160])
            if retry_after is not None:
                fields["retry_after"] = retry_after
        except anthropic.APITimeoutError:
            headers = None
            fields.update(ok=False, status=None, error="timeout")
        except anthropic.APIConnectionError:
            headers = None
            fields.update(ok=False, status=None, error="connection")
        if headers is not None:
            # The upstream's answers carry its request-id; an answer without one is the proxy's own.
            fields["request_id"] = "request-id" in headers
            attempts = header_int(headers, "x-ballast-attempts")
            if attempts is not None:
                fields["ballast_attempts"] = attempts
            if headers.get("x-ballast-hedged") == "true":
                fields["hedged"] = True
        return fields, retry_after

    async def request(self, due: float, origin: float, segment: int, index: int):
        record = {"i": len(self.results), "t": round(due, 6), "seg": segment}
        self.results.append(record)
        try:
            fields, retry_after = await self.call(self.client, segment, index)
            record.update(fields)
        except asyncio.CancelledError:
            record.update(ok=False, status=None, error="unfinished")
        except Exception as error:  # anything else the SDK raises still counts, by its type
            record.update(ok=False, status=None, error=type(error).__name__)
            retry_after = None
        record["latency"] = round(time.monotonic() - (origin + due), 6)
        if (retry_after is not None and record.get("status") == 429
                and self.probe_random.unit() < self.args.probe_retry_after):
            own = record.get("request_id") is False
            self.probe_tasks.append(asyncio.create_task(self.probe(segment, index, retry_after, own)))

    async def probe(self, segment: int, index: int, retry_after: str, own: bool):
        """Sends the refused request again exactly `retry-after` seconds later, once: whether
        it then gets in says whether the header was honest. `own`: the 429 was the proxy's own
        (no upstream request-id), not a relayed one."""
        entry = {"retry_after": retry_after, "original_own": own}
        try:
            wait = float(retry_after)
        except ValueError:
            entry.update(ok=False, status=None, error="unparseable retry-after")
            self.probes.append(entry)
            return
        await asyncio.sleep(wait)
        started = time.monotonic()
        try:
            fields, _ = await self.call(self.client.with_options(max_retries=0), segment, index)
            entry.update(fields)
        except asyncio.CancelledError:
            entry.update(ok=False, status=None, error="unfinished")
        entry["latency"] = round(time.monotonic() - started, 6)
        self.probes.append(entry)

    async def run(self, plan):
        origin = time.monotonic()
        tasks = []
        for offset, segment, index in plan:
            delay = origin + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.request(offset, origin, segment, index)))
        last_arrival = time.monotonic()
        deadline = last_arrival + self.args.drain
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self.probe_tasks:
            _, pending = await asyncio.wait(self.probe_tasks, timeout=max(1.0, deadline - time.monotonic()))
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        return time.monotonic() - origin


def fetch_token(url: str, client_id: str, client_secret: str) -> str:
    """What a naive application does: one client-credentials token at start, kept for good."""
    answer = httpx.post(url, data={"grant_type": "client_credentials", "client_id": client_id,
                                   "client_secret": client_secret}, timeout=10)
    answer.raise_for_status()
    return answer.json()["access_token"]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", default="sk-bench", help="sent as x-api-key (ignored with --bearer-token-url)")
    parser.add_argument("--max-retries", type=int, default=2, help="the SDK's own retries (its default is 2)")
    parser.add_argument("--rate", type=float, help="arrivals per second (with --duration)")
    parser.add_argument("--duration", type=float, help="seconds of arrivals (with --rate)")
    parser.add_argument("--schedule", help="JSON [[seconds, rate], ...] instead of --rate/--duration")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--drain", type=float, default=30, help="seconds after the last arrival before giving up")
    parser.add_argument("--timeout", type=float, default=60, help="the SDK's per-attempt timeout in seconds")
    parser.add_argument("--model", default="claude-sonnet-4-6")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--bearer-token-url", help="fetch one OAuth token at start and send it as a bearer token")
    parser.add_argument("--client-id", default="ballast-test")
    parser.add_argument("--client-secret-env", default="BENCH_OAUTH_SECRET",
                        help="environment variable holding the OAuth client secret")
    parser.add_argument("--probe-retry-after", type=float, default=0,
                        help="share of 429s with retry-after to send again once after exactly that wait")
    parser.add_argument("--output", help="write the JSON here instead of stdout")
    args = parser.parse_args(argv)
    if args.schedule:
        schedule = json.loads(args.schedule)
        if not isinstance(schedule, list) or not all(isinstance(s, list) and len(s) == 2 for s in schedule):
            parser.error("--schedule must be a JSON list of [seconds, rate] pairs")
        args.segments = [(float(s), float(r)) for s, r in schedule]
    elif args.rate is not None and args.duration is not None:
        args.segments = [(args.duration, args.rate)]
    else:
        parser.error("give --rate and --duration, or --schedule")
    if any(s < 0 or r < 0 for s, r in args.segments):
        parser.error("segment seconds and rates must not be negative")
    return args


async def main_async(args):
    plan = arrivals(args.segments, args.seed, args.max_requests)
    if args.bearer_token_url:
        os.environ.pop("ANTHROPIC_API_KEY", None)
        secret = os.environ.get(args.client_secret_env, "")
        token = fetch_token(args.bearer_token_url, args.client_id, secret)
        client = anthropic.AsyncAnthropic(base_url=args.base_url, api_key=None, auth_token=token,
                                          max_retries=args.max_retries)
    else:
        client = anthropic.AsyncAnthropic(base_url=args.base_url, api_key=args.api_key, max_retries=args.max_retries)
    driver = Driver(args, client)
    async with client:
        elapsed = await driver.run(plan)
    results = driver.results
    ok = sum(1 for r in results if r.get("ok"))
    errors = {}
    for r in results:
        if not r.get("ok"):
            key = str(r.get("status") or r.get("error"))
            errors[key] = errors.get(key, 0) + 1
    return {
        "driver": "sdk_load.py",
        "anthropic_version": anthropic.__version__,
        "max_retries": args.max_retries,
        "seed": args.seed,
        "schedule": args.segments,
        "requests": results,
        "probes": driver.probes,
        "summary": {"requests": len(results), "ok": ok, "errors": errors, "elapsed": round(elapsed, 3)},
    }


def main(argv):
    args = parse_args(argv)
    report = asyncio.run(main_async(args))
    text = json.dumps(report, separators=(",", ":"))
    if args.output:
        with open(args.output, "w") as out:
            out.write(text)
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
