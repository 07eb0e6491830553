import Testing
import Tracing

struct TraceContextTests {
    static let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func parsesAndFormatsAValidTraceparent() throws {
        let context = try #require(TraceContext.parse(traceparent: Self.valid, tracestate: "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7"))
        #expect(context.sampled)
        #expect(context.traceparent == Self.valid)
        #expect(context.traceState == "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7")
    }

    @Test func malformedTraceparentsAreRefused() {
        let bad = [
            "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",  // short
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero span id
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // v00 with more
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // separator
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",  // not hex
        ]
        for header in bad { #expect(TraceContext.parse(traceparent: header, tracestate: nil) == nil, "\(header)") }
        // A later version may carry more fields after a dash.
        #expect(TraceContext.parse(traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what", tracestate: nil) != nil)
    }

    @Test func aBadTracestateIsDroppedNotForwarded() throws {
        for state in [
            "=x", "k=", "K=v", "k=v=w", String(repeating: "a=b,", count: 40) + "a=b",
            "k=" + String(repeating: "v", count: 600),
        ] {
            let context = try #require(TraceContext.parse(traceparent: Self.valid, tracestate: state))
            #expect(context.traceState == nil, "\(state)")
        }
    }

    @Test func aRequestContinuesItsCallersTraceOrStartsOne() {
        var random = SystemRandomNumberGenerator()
        let sampler = TraceSampler(ratio: 0)
        let continued = RequestTrace.begin(traceparent: Self.valid, tracestate: nil, sampler: sampler, random: &random)
        #expect(continued.traceIDHex == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(continued.sampled, "the caller sampled it: the ratio does not apply")
        #expect(continued.serverSpanID.count == 8 && continued.serverSpanID != continued.parent?.spanID)
        let header = continued.traceparent(spanID: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(header == "00-4bf92f3577b34da6a3ce929d0e0e4736-0102030405060708-01")
        let fresh = RequestTrace.begin(traceparent: "00-garbage", tracestate: "a=b", sampler: TraceSampler(ratio: 1), random: &random)
        #expect(fresh.parent == nil && fresh.sampled && fresh.traceID.count == 16)
        #expect(fresh.traceIDHex != "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test func theRatioSamplesItsShareOfTraceIDs() {
        var random = SystemRandomNumberGenerator()
        let sampler = TraceSampler(ratio: 0.25)
        var sampled = 0
        for _ in 0..<4000 where sampler.sample(traceID: RequestTrace.id(bytes: 16, random: &random), parent: nil) { sampled += 1 }
        // Binomial(4000, 0.25): standard deviation 27; 6 of them either side.
        #expect(abs(sampled - 1000) < 165)
        #expect(!TraceSampler(ratio: 0).sample(traceID: [UInt8](repeating: 0, count: 16), parent: nil))
    }
}
