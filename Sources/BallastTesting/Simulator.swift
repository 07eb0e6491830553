import BallastCore
import Synchronization

/// A simulated Anthropic upstream: several regions in one process, each its own HTTP
/// server, driven by a `SimulatorConfig`. Ballast's tests, `demo` and `bench` run against it.
///
/// ```swift
/// let simulator = Simulator(config: try SimulatorConfig.load(path: "sim.yaml"))
/// try simulator.start()
/// defer { simulator.stop() }
/// let url = simulator.region(named: "primary")?.baseURL
/// ```
public final class Simulator: Sendable {
    public let config: SimulatorConfig
    public let regions: [SimulatedRegion]
    private let clock: any Clock
    private let running = Mutex(false)

    /// - Parameter clock: drives the fault schedule and the rate-limit buckets (pacing uses
    ///   real timers); a `ManualClock` makes both steppable in tests.
    public init(config: SimulatorConfig, clock: any Clock = SystemClock()) {
        self.config = config
        self.clock = clock
        regions = config.regions.enumerated().map { index, region in
            SimulatedRegion(config: region, seed: Self.regionSeed(config.seed, index: index), clock: clock)
        }
    }

    /// The seed of region `index`'s random stream: distinct per region, fixed per config.
    static func regionSeed(_ seed: UInt64, index: Int) -> UInt64 {
        StableHash.mix(seed ^ StableHash.mix(UInt64(index) &+ 0x5151_5151))
    }

    /// Binds every region and starts the schedule clock. If one region cannot listen, the
    /// others are stopped again and the error is thrown.
    public func start() throws {
        try running.withLock { running in
            guard !running else { return }
            let origin = clock.now()
            var started: [SimulatedRegion] = []
            do {
                for region in regions {
                    region.engine.markStarted(at: origin)
                    try region.server.start()
                    started.append(region)
                }
            } catch {
                for region in started { region.server.stop() }
                throw error
            }
            running = true
        }
    }

    /// Stops every region; open streams are cut.
    public func stop() {
        running.withLock { running in
            guard running else { return }
            for region in regions { region.server.stop(gracePeriod: 0) }
            running = false
        }
    }

    public func region(named name: String) -> SimulatedRegion? {
        regions.first { $0.name == name }
    }
}
