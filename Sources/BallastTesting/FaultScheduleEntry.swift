/// A timed fault: from `at` seconds after the simulator starts, for `duration` seconds
/// (nil: until the end), `faults` overrides the region's base faults.
public struct FaultScheduleEntry: Sendable, Equatable {
    public var at: Double
    public var duration: Double?
    public var faults: FaultOverride

    public init(at: Double, duration: Double? = nil, faults: FaultOverride) {
        self.at = at
        self.duration = duration
        self.faults = faults
    }

    public func isActive(atElapsed elapsed: Double) -> Bool {
        guard elapsed >= at else { return false }
        guard let duration else { return true }
        return elapsed < at + duration
    }

    /// The faults in force `elapsed` seconds after start: `base` with every active entry
    /// applied in schedule order (a later entry wins where two overlap).
    public static func effectiveFaults(base: FaultSettings, schedule: [FaultScheduleEntry],
                                       elapsed: Double) -> FaultSettings {
        schedule.reduce(base) { faults, entry in
            entry.isActive(atElapsed: elapsed) ? entry.faults.applied(to: faults) : faults
        }
    }
}
