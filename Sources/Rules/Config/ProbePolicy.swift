/// How a half-open circuit decides: let `requests` probe requests through, close when at most
/// `maxErrorRatio` of them failed, open again (for longer) as soon as more than that failed.
public struct ProbePolicy: Sendable, Equatable {
    public var requests: Int
    public var maxErrorRatio: Double
    /// The outcome classes that count as failed probes.
    public var classes: OutcomeClassSet
    /// When fewer than `requests` probes finished in this long (no traffic, slow answers), the
    /// permits are handed out again.
    public var timeout: Duration

    public init(
        requests: Int = 5, maxErrorRatio: Double = 0.2, classes: OutcomeClassSet = .defaultFailures,
        timeout: Duration = .seconds(30)
    ) {
        self.requests = requests
        self.maxErrorRatio = maxErrorRatio
        self.classes = classes
        self.timeout = timeout
    }

    /// The most failures `requests` probes may have: 1 of 5 at 0.2.
    public var allowedFailures: Int { Int((maxErrorRatio * Double(requests) + 1e-9).rounded(.down)) }
}
