/// A partial `FaultSettings`: only the fields given replace the base ones. A schedule entry
/// carries one, so `{ outage: true }` leaves the error ratios as they were.
public struct FaultOverride: Sendable, Equatable {
    public var rateLimit: RateLimitSettings?
    public var errorRatios: [Int: Double]?
    public var resetRatio: Double?
    public var streamErrorRatio: Double?
    public var outage: Bool?
    public var refuseConnections: Bool?

    public init(
        rateLimit: RateLimitSettings? = nil, errorRatios: [Int: Double]? = nil, resetRatio: Double? = nil,
        streamErrorRatio: Double? = nil, outage: Bool? = nil, refuseConnections: Bool? = nil
    ) {
        self.rateLimit = rateLimit
        self.errorRatios = errorRatios
        self.resetRatio = resetRatio
        self.streamErrorRatio = streamErrorRatio
        self.outage = outage
        self.refuseConnections = refuseConnections
    }

    public func applied(to base: FaultSettings) -> FaultSettings {
        var result = base
        if let rateLimit { result.rateLimit = rateLimit }
        if let errorRatios { result.errorRatios = errorRatios }
        if let resetRatio { result.resetRatio = resetRatio }
        if let streamErrorRatio { result.streamErrorRatio = streamErrorRatio }
        if let outage { result.outage = outage }
        if let refuseConnections { result.refuseConnections = refuseConnections }
        return result
    }
}
