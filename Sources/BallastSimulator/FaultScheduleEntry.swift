import Foundation
/// A timed fault: from `at` seconds after the simulator starts, for `duration` seconds
/// (nil: until the end), `faults` overrides the region's base faults, for every request or
/// only for those of `models` (one model failing in every region, the others healthy).
public struct FaultScheduleEntry: Sendable, Equatable {
    public var at: Double
    public var duration: Double?
    public var faults: FaultOverride
    /// Model names the entry applies to (`*` matches any characters); nil: every request.
    /// A model-scoped entry only sets per-request faults (error, reset and stream error
    /// ratios): the listener and the rate limit belong to the region, not to a model.
    public var models: [String]?

    /// While active, the region answers with this latency instead of its own (a slow tail
    /// that comes and goes); nil leaves the latency alone.
    public var latency: LatencyModel?

    public init(
        at: Double, duration: Double? = nil, faults: FaultOverride, models: [String]? = nil,
        latency: LatencyModel? = nil
    ) {
        self.at = at
        self.duration = duration
        self.faults = faults
        self.models = models
        self.latency = latency
    }

    public func isActive(atElapsed elapsed: Double) -> Bool {
        guard elapsed >= at else { return false }
        guard let duration else { return true }
        return elapsed < at + duration
    }

    /// Whether the entry applies to a request for `model` (nil: a decision made before the
    /// request's body is read, which model-scoped entries take no part in).
    public func applies(to model: String?) -> Bool {
        guard let models else { return true }
        guard let model else { return false }
        return models.contains { Self.matches(model, pattern: $0) }
    }

    /// The faults in force `elapsed` seconds after start for a request of `model`: `base` with
    /// every active entry that applies to it, in schedule order (a later entry wins where two
    /// overlap).
    public static func effectiveFaults(
        base: FaultSettings, schedule: [FaultScheduleEntry],
        elapsed: Double, model: String? = nil
    ) -> FaultSettings {
        schedule.reduce(base) { faults, entry in
            entry.isActive(atElapsed: elapsed) && entry.applies(to: model) ? entry.faults.applied(to: faults) : faults
        }
    }

    /// The latency in force `elapsed` seconds after start for a request of `model`: that of
    /// the last active entry that applies to it and sets one, else `base`.
    public static func effectiveLatency(
        base: LatencyModel, schedule: [FaultScheduleEntry], elapsed: Double,
        model: String? = nil
    ) -> LatencyModel {
        schedule.last { $0.latency != nil && $0.isActive(atElapsed: elapsed) && $0.applies(to: model) }?.latency ?? base
    }

    /// `*` matches any run of characters, everything else itself.
    static func matches(_ name: String, pattern: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return name == pattern }
        guard name.hasPrefix(parts[0]), name.hasSuffix(parts[parts.count - 1]),
            name.count >= parts[0].count + parts[parts.count - 1].count
        else { return false }
        var rest = Substring(name.dropFirst(parts[0].count).dropLast(parts[parts.count - 1].count))
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let range = rest.range(of: middle) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }
}
