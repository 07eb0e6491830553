import BallastConfig
/// The faults a region injects. The defaults inject none.
public struct FaultSettings: Sendable, Equatable {
    /// Statuses a random upstream error may take.
    public static let errorStatuses: [Int] = [429, 500, 502, 503, 504, 529]

    /// The region's own rate-limit figures; nil takes the organisation's (the simulator's
    /// top-level `rate_limit`). Their `scope` says whose buckets are charged.
    public var rateLimit: RateLimitSettings?
    /// Share of requests answered with each status (keys from `errorStatuses`); sum <= 1.
    public var errorRatios: [Int: Double]
    /// Share of requests whose connection is dropped without a response.
    public var resetRatio: Double
    /// Share of streamed replies that carry an `event: error` (overloaded_error) midway.
    public var streamErrorRatio: Double
    /// Every API connection is dropped at once (the control endpoints still answer).
    public var outage: Bool
    /// The region's listener is closed: connects are refused (ECONNREFUSED) and open
    /// connections are cut, as in a regional outage; when it ends the region listens again on
    /// the same port. Unlike `outage`, the region's `/_sim/` endpoints are unreachable too.
    public var refuseConnections: Bool

    public init(
        rateLimit: RateLimitSettings? = nil, errorRatios: [Int: Double] = [:],
        resetRatio: Double = 0, streamErrorRatio: Double = 0, outage: Bool = false,
        refuseConnections: Bool = false
    ) {
        self.rateLimit = rateLimit
        self.errorRatios = errorRatios
        self.resetRatio = resetRatio
        self.streamErrorRatio = streamErrorRatio
        self.outage = outage
        self.refuseConnections = refuseConnections
    }
}

extension FaultSettings {
    /// Parses a `faults` section on its own (YAML or JSON, which YAML contains), as
    /// `PUT /_sim/faults` receives it. Absent keys take the fault-free defaults.
    public static func parse(_ text: String, file: String = "faults") throws -> FaultSettings {
        let issues = ConfigIssues()
        guard let root = ConfigNode.parse(text, file: file, issues: issues) else { throw issues.error }
        let faults = SimulatorConfigReader.faults(root)
        try issues.throwIfAny()
        return faults
    }
}
