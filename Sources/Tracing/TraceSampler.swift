/// Which traces are recorded: parent-based, then by trace id ratio (OpenTelemetry's default
/// `ParentBased(TraceIdRatioBased)`). A request whose caller sent a `traceparent` follows the
/// caller's sampled flag, so a trace is kept whole or not at all; a new trace is sampled when
/// the low 63 bits of its last 8 id bytes fall under `ratio` of their range, so every
/// process sampling by the same rule agrees on the same trace.
public struct TraceSampler: Sendable {
    public var ratio: Double

    public init(ratio: Double) {
        self.ratio = min(1, max(0, ratio))
    }

    public func sample(traceID: [UInt8], parent: TraceContext?) -> Bool {
        if let parent { return parent.sampled }
        if ratio >= 1 { return true }
        if ratio <= 0 { return false }
        var value: UInt64 = 0
        for byte in traceID.suffix(8) { value = value << 8 | UInt64(byte) }
        return Double(value >> 1) < ratio * Double(UInt64(1) << 63)
    }
}
