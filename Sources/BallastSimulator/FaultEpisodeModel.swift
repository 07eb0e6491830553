/// Bad stretches of a region, or of some models in it: episodes start at random (on average
/// `ratePerHour` times per hour of healthy time) and last an exponentially distributed time
/// with mean `meanDuration`. While one lasts its faults apply on top of the region's, so a
/// retry in the same region a moment later meets the same trouble, as it does in production.
public struct FaultEpisodeModel: Sendable, Equatable {
    /// Episode starts per hour of healthy time; 0 never starts one.
    public var ratePerHour: Double
    /// Mean length of an episode, seconds.
    public var meanDuration: Double
    /// Model names the episode hits (`*` matches any characters); nil: every request.
    public var models: [String]?
    /// What the episode does: only per-request faults (error, reset and stream-error ratios).
    public var faults: FaultOverride
    /// Replaces the region's stall model during the episode: a wedged backend.
    public var stall: StallModel?

    public init(
        ratePerHour: Double = 0, meanDuration: Double = 30, models: [String]? = nil,
        faults: FaultOverride = FaultOverride(), stall: StallModel? = nil
    ) {
        self.ratePerHour = ratePerHour
        self.meanDuration = meanDuration
        self.models = models
        self.faults = faults
        self.stall = stall
    }

    /// Whether the episode hits a request for `model` (nil: a decision before the body is read).
    public func applies(to model: String?) -> Bool {
        guard let models else { return true }
        guard let model else { return false }
        return models.contains { FaultScheduleEntry.matches(model, pattern: $0) }
    }
}
