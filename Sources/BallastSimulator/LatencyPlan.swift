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
    /// factor for the unlucky share and the overload factor, plus a stall for the rarer one.
    /// Forced values (from the test headers) replace the sampled ones and are not slowed.
    ///
    /// - Parameter overload: from `overloadFactor`; a stall is a hang, not work, so it is
    ///   added unscaled.
    public static func sample(
        _ model: LatencyModel, draws: RequestDraws, forcedFirstByte: Double? = nil,
        forcedTokenInterval: Double? = nil, forceStall: Bool = false,
        overload: Double = 1
    ) -> LatencyPlan {
        let slow = (draws.slowTail < model.slowTail.ratio ? max(1, model.slowTail.factor) : 1) * max(1, overload)
        var firstByte = forcedFirstByte ?? model.firstByteMedian * exp(model.firstByteSpread * draws.normal) * slow
        if forceStall || draws.stall < model.stall.ratio { firstByte += model.stall.duration }
        let interval = forcedTokenInterval ?? model.tokenInterval * slow
        return LatencyPlan(firstByte: max(0, firstByte), tokenInterval: max(0, interval))
    }

    /// How much slower a region serves with `inFlight` requests (this one included) than at
    /// its nominal speed, processor-sharing style: up to `capacity` each gets a full share;
    /// beyond it they split the region, so time to first byte and per-token time grow in
    /// proportion to the overload. `capacity` 0 is unlimited.
    public static func overloadFactor(inFlight: Int, capacity: Int) -> Double {
        guard capacity > 0, inFlight > capacity else { return 1 }
        return Double(inFlight) / Double(capacity)
    }
}
