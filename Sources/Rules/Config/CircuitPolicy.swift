/// A circuit's `recover:` settings: how long it stays open, how that grows, how it probes.
public struct CircuitPolicy: Sendable, Equatable {
    /// Open time after the first trip, in seconds; doubled on each repeated trip. The spans of a
    /// rule file's `recover:` are kept as its seconds; they become `Duration`s where they meet
    /// an instant.
    public var openFor: Double
    /// The cap of the growing open time, in seconds.
    public var maxOpen: Double
    /// After staying closed this long (seconds), a new trip counts as the first again.
    public var resetAfter: Double
    public var probe: ProbePolicy

    public init(openFor: Double = 10, maxOpen: Double = 300, resetAfter: Double? = nil, probe: ProbePolicy = ProbePolicy()) {
        self.openFor = openFor
        self.maxOpen = max(maxOpen, openFor)
        self.resetAfter = resetAfter ?? max(maxOpen, openFor)
        self.probe = probe
    }

    /// Open time for the `trip`-th consecutive trip (1-based): `openFor * 2^(trip-1)`, capped.
    public func openDuration(trip: Int) -> Duration {
        let exponent = Double(max(trip - 1, 0))
        return .seconds(min(openFor * pow2(exponent), maxOpen))
    }

    private func pow2(_ exponent: Double) -> Double {
        exponent >= 60 ? .infinity : Double(UInt64(1) << UInt64(exponent))
    }
}
