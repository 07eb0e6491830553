/// Everything a `Simulator` runs: the seed that makes it reproducible and its regions.
///
/// Read from YAML with `parse(_:file:)` / `load(path:)`, or built in code with the
/// memberwise initialisers, whose defaults give a fast, fault-free upstream.
public struct SimulatorConfig: Sendable, Equatable {
    /// Seeds every region's random stream (mixed with the region's index).
    public var seed: UInt64
    public var regions: [SimulatedRegionConfig]

    public init(seed: UInt64 = 1, regions: [SimulatedRegionConfig] = [SimulatedRegionConfig()]) {
        self.seed = seed
        self.regions = regions
    }
}
