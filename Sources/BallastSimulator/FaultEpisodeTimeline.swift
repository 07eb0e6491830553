import BallastCore
import Foundation

/// The episodes of one `FaultEpisodeModel`, drawn lazily as time passes from a seeded stream
/// of their own: healthy gaps are exponential with mean 1/rate, episodes exponential with the
/// model's mean length. The stream is not the one requests draw from, so the same seed
/// replays the same episodes at the same times whatever the traffic. Queries must not go
/// back in time (the engine asks under its lock with a monotonic clock).
public struct FaultEpisodeTimeline: Sendable {
    public let model: FaultEpisodeModel
    private var random: SeededRandom
    /// The episode in progress or next to come; nil when the model never starts one.
    public private(set) var next: FaultEpisode?

    /// Starts healthy at time 0.
    public init(model: FaultEpisodeModel, seed: UInt64) {
        self.model = model
        random = SeededRandom(seed: seed)
        next = nil
        if model.ratePerHour > 0, model.meanDuration > 0 { next = draw(after: 0) }
    }

    /// The episode in force at `now`, if any.
    public mutating func episode(at now: Double) -> FaultEpisode? {
        guard var episode = next else { return nil }
        while now >= episode.end { episode = draw(after: episode.end) }
        next = episode
        return episode.contains(now) ? episode : nil
    }

    private mutating func draw(after time: Double) -> FaultEpisode {
        let gap = exponential(mean: 3600 / model.ratePerHour)
        let length = exponential(mean: model.meanDuration)
        return FaultEpisode(start: time + gap, end: time + gap + length)
    }

    /// 1 - unit() is in (0, 1], so the logarithm is finite.
    private mutating func exponential(mean: Double) -> Double {
        -log(1 - random.unit()) * mean
    }
}
