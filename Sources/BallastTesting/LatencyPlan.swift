import Foundation

/// The pacing of one reply: seconds to the first byte and between deltas.
public struct LatencyPlan: Sendable, Equatable {
    public var firstByte: Double
    public var tokenInterval: Double

    public init(firstByte: Double, tokenInterval: Double) {
        self.firstByte = firstByte
        self.tokenInterval = tokenInterval
    }

    /// Samples the model: a lognormal first byte around the median, times the slow-tail
    /// factor for the unlucky share, plus a stall for the rarer one. Forced values (from the
    /// test headers) replace the sampled ones and are not slowed.
    public static func sample(_ model: LatencyModel, draws: RequestDraws, forcedFirstByte: Double? = nil,
                              forcedTokenInterval: Double? = nil, forceStall: Bool = false) -> LatencyPlan {
        let slow = draws.slowTail < model.slowTail.ratio ? max(1, model.slowTail.factor) : 1
        var firstByte = forcedFirstByte ?? model.firstByteMedian * exp(model.firstByteSpread * draws.normal) * slow
        if forceStall || draws.stall < model.stall.ratio { firstByte += model.stall.duration }
        let interval = forcedTokenInterval ?? model.tokenInterval * slow
        return LatencyPlan(firstByte: max(0, firstByte), tokenInterval: max(0, interval))
    }
}
