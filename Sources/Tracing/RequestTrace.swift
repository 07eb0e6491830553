import BallastCore
/// The trace of one client request: its server span's id, the caller's context when it sent
/// a valid `traceparent`, and whether the trace is sampled. Attempt spans are children of
/// the server span; each attempt sends its own span's `traceparent` upstream.
public struct RequestTrace: Sendable, Equatable {
    public var traceID: [UInt8]
    public var serverSpanID: [UInt8]
    /// The caller's context; nil when it sent none (or a malformed one): a new trace.
    public var parent: TraceContext?
    public var sampled: Bool

    public init(traceID: [UInt8], serverSpanID: [UInt8], parent: TraceContext?, sampled: Bool) {
        self.traceID = traceID
        self.serverSpanID = serverSpanID
        self.parent = parent
        self.sampled = sampled
    }

    /// Continues the caller's trace, or starts one.
    public static func begin<R: RandomNumberGenerator>(
        traceparent: String?, tracestate: String?, sampler: TraceSampler,
        random: inout R
    ) -> RequestTrace {
        let parent = TraceContext.parse(traceparent: traceparent, tracestate: tracestate)
        let traceID = parent?.traceID ?? Self.id(bytes: 16, random: &random)
        return RequestTrace(
            traceID: traceID, serverSpanID: Self.id(bytes: 8, random: &random), parent: parent,
            sampled: sampler.sample(traceID: traceID, parent: parent))
    }

    /// `traceparent` for an attempt whose span is `spanID`.
    public func traceparent(spanID: [UInt8]) -> String {
        TraceContext(traceID: traceID, spanID: spanID, flags: sampled ? 1 : 0).traceparent
    }

    public var traceIDHex: String { Hex.encode(traceID) }

    /// A random non-zero id.
    public static func id<R: RandomNumberGenerator>(bytes count: Int, random: inout R) -> [UInt8] {
        while true {
            var bytes: [UInt8] = []
            while bytes.count < count {
                withUnsafeBytes(of: random.next()) { bytes.append(contentsOf: $0.prefix(count - bytes.count)) }
            }
            if bytes.contains(where: { $0 != 0 }) { return bytes }
        }
    }
}
