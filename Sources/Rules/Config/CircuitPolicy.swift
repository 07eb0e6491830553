/// A circuit's `recover:` settings: how long it stays open, how that grows, how it probes.
public struct CircuitPolicy: Sendable, Equatable {
    /// Open time after the first trip; doubled on each repeated trip.
    public var openFor: Duration
    /// The cap of the growing open time.
    public var maxOpen: Duration
    /// After staying closed this long, a new trip counts as the first again.
    public var resetAfter: Duration
    public var probe: ProbePolicy

    public init(
        openFor: Duration = .seconds(10), maxOpen: Duration = .seconds(300), resetAfter: Duration? = nil,
        probe: ProbePolicy = ProbePolicy()
    ) {
        self.openFor = openFor
        self.maxOpen = max(maxOpen, openFor)
        self.resetAfter = resetAfter ?? max(maxOpen, openFor)
        self.probe = probe
    }

    /// Open time for the `trip`-th consecutive trip (1-based): `openFor * 2^(trip-1)`, capped.
    public func openDuration(trip: Int) -> Duration {
        let doublings = max(trip - 1, 0)
        guard doublings < 62, openFor <= maxOpen / (1 << doublings) else { return maxOpen }
        return openFor * (1 << doublings)
    }
}
