import BallastCore

/// What the proxy knows about an attempt beyond its `AttemptRecord`, for its span.
public struct AttemptSpanFacts: Sendable {
    public var spanID: [UInt8]
    /// `first`, `retry`, `hedge` or `failover` (another region than the first attempt's).
    public var kind: String
    /// Sent to a region whose circuit was half-open: a probe of whether it recovered.
    public var probe: Bool
    /// The circuit state of the attempt's region and model when the request was recorded:
    /// `closed`, `half_open` or `open`.
    public var circuitState: String?

    public init(spanID: [UInt8], kind: String, probe: Bool = false, circuitState: String? = nil) {
        self.spanID = spanID
        self.kind = kind
        self.probe = probe
        self.circuitState = circuitState
    }
}
