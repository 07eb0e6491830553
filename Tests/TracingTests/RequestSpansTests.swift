import BallastCore
import Testing
import Tracing

struct RequestSpansTests {
    static func attribute(_ span: Span, _ key: String) -> SpanValue? {
        span.attributes.first { $0.key == key }?.value
    }

    @Test func aServerSpanAndAChildPerAttemptWithTheirMarks() throws {
        var random = SeededRandom(seed: 7)
        let trace = RequestTrace.begin(
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "v=1",
            sampler: TraceSampler(ratio: 1), random: &random)
        var request = RequestRecord(
            time: 100, region: "eu", model: "claude-sonnet-4-6", route: "failover", status: 200,
            outcome: .success, attempts: 2, latency: 1.5)
        request.usage = MessageUsage(inputTokens: 10, outputTokens: 20, cacheReadInputTokens: 300)
        request.client = "team-a"
        request.costUSD = 0.01
        var failed = AttemptRecord(
            time: 100.01, region: "us", model: "claude-sonnet-4-6", index: 1, status: 529, outcome: .upstream,
            errorType: "overloaded_error", latency: 0.2)
        failed.spend = AttemptUsage(usage: .unknown, overhead: .retry)
        var won = AttemptRecord(
            time: 100.5, region: "eu", model: "claude-sonnet-4-6", index: 2, status: 200, outcome: .success,
            latency: 1.0)
        won.spend = AttemptUsage(usage: request.usage, costUSD: 0.01)
        let facts = [
            AttemptSpanFacts(spanID: [1, 1, 1, 1, 1, 1, 1, 1], kind: "first", circuitState: "closed"),
            AttemptSpanFacts(spanID: [2, 2, 2, 2, 2, 2, 2, 2], kind: "failover", probe: true, circuitState: "half_open"),
        ]
        let spans = RequestSpans.build(
            trace: trace, request: request, attempts: [failed, won], facts: facts, method: "POST",
            path: "/v1/messages", maxTokens: 64)
        #expect(spans.count == 3)
        let server = spans[0]
        #expect(server.kind == .server && server.name == "POST /v1/messages")
        #expect(server.parentSpanID == [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7] && server.parentIsRemote)
        #expect(server.traceState == "v=1")
        #expect(server.startNanos == 100_000_000_000 && server.endNanos == 101_500_000_000)
        #expect(Self.attribute(server, "gen_ai.usage.cache_read.input_tokens") == .int(300))
        #expect(Self.attribute(server, "ballast.client") == .string("team-a"))
        #expect(server.status == .unset)
        #expect(spans.dropFirst().allSatisfy { $0.parentSpanID == server.spanID && $0.kind == .client && $0.traceID == server.traceID })
        #expect(spans[1].status == .error("overloaded_error"))
        #expect(Self.attribute(spans[1], "ballast.overhead") == .string("retry"))
        #expect(Self.attribute(spans[1], "gen_ai.usage.input_tokens") == nil, "unknown usage is not reported as zero")
        #expect(Self.attribute(spans[1], "ballast.usage") == .string("none"))
        #expect(Self.attribute(spans[2], "ballast.attempt.kind") == .string("failover"))
        #expect(Self.attribute(spans[2], "ballast.probe") == .bool(true))
        #expect(Self.attribute(spans[2], "ballast.circuit_state") == .string("half_open"))
        #expect(Self.attribute(spans[2], "gen_ai.request.max_tokens") == .int(64))
    }

    @Test func theEncoderWritesAnExportRequestWithTheSpansIds() {
        let span = Span(
            traceID: [UInt8](repeating: 0xAB, count: 16), spanID: [UInt8](repeating: 0xCD, count: 8), name: "x",
            kind: .server, startNanos: 1, endNanos: 2, attributes: [("k", .string("v"))])
        let bytes = OTLPEncoder(resource: [("service.name", .string("ballast"))], scopeVersion: "test").encode([span])
        #expect(bytes.first == 0x0A, "field 1 (resource_spans), length-delimited")
        let trace: [UInt8] = [0x0A, 16] + [UInt8](repeating: 0xAB, count: 16)  // Span.trace_id
        #expect(bytes.indices.contains { bytes[$0...].starts(with: trace) })
        // The e2e tests decode whole exports with opentelemetry-proto; this only guards the shape.
    }
}
