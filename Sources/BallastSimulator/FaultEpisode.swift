/// One bad stretch, seconds on the simulator's timeline: from `start` (inclusive) to `end`
/// (exclusive).
public struct FaultEpisode: Sendable, Equatable {
    public var start: Double
    public var end: Double

    public init(start: Double, end: Double) {
        self.start = start
        self.end = end
    }

    public func contains(_ time: Double) -> Bool { time >= start && time < end }
}
