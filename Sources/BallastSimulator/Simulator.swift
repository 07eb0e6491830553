public import BallastCore
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
    /// The OAuth token endpoint when the config has an `oauth` section; every region then
    /// asks for its bearer tokens instead of an API key.
    public let tokenIssuer: TokenIssuer?
    private let clock: any TimeSource
    /// The organisation's rate-limit buckets, one set per credential, shared by every region
    /// whose limits are in the organisation scope (the default), as the API keeps them.
    let organisationLimits: RateLimitStore
    /// The listener watcher while running; nil while stopped.
    private let running = Mutex<ListenerWatcher?>(nil)

    /// - Parameter clock: drives the fault schedule, the fault episodes and the rate-limit
    ///   buckets (pacing uses real timers); a `ManualClock` makes them steppable in tests.
    public init(config: SimulatorConfig, clock: any TimeSource = SystemClock()) {
        self.config = config
        self.clock = clock
        let issuer = config.oauth.map { TokenIssuer(config: $0, seed: config.seed, clock: clock) }
        tokenIssuer = issuer
        let limits = RateLimitStore()
        organisationLimits = limits
        // One Google token endpoint for the service account, its tokens good in every Vertex region.
        let google = config.gcp.map {
            GoogleTokenEndpoint(account: $0, tokens: IssuedTokenStore(capacity: 10_000, key: StableHash.mix(config.seed ^ 0x6C0_0D1E)))
        }
        let cloud = CloudAccess(aws: config.aws, google: google)
        regions = config.regions.enumerated().map { index, region in
            SimulatedRegion(
                config: region, seed: Self.regionSeed(config.seed, index: index), clock: clock,
                tokens: issuer?.tokens, organisationSettings: config.rateLimit,
                organisationLimits: limits, cloud: cloud)
        }
    }

    /// The seed of region `index`'s random stream: distinct per region, fixed per config.
    static func regionSeed(_ seed: UInt64, index: Int) -> UInt64 {
        StableHash.mix(seed ^ StableHash.mix(UInt64(index) &+ 0x5151_5151))
    }

    /// Binds the token issuer (if any) and every region and starts the schedule clock. If one
    /// cannot listen, the others are stopped again and the error is thrown. A region whose
    /// faults refuse connections at the start binds its port and closes it again before this
    /// returns.
    public func start() throws {
        try running.withLock { watcher in
            guard watcher == nil else { return }
            let origin = clock.now()
            organisationLimits.reset()
            var started: [SimulatedRegion] = []
            do {
                try tokenIssuer?.start()
                for region in regions {
                    region.engine.markStarted(at: origin)
                    try region.open()
                    started.append(region)
                }
            } catch {
                for region in started { region.close() }
                tokenIssuer?.stop()
                throw error
            }
            watcher = ListenerWatcher(regions: regions)
        }
    }

    /// Stops every region and the token issuer; open streams are cut. Issued tokens are kept:
    /// after a new `start()` they are still valid until they expire.
    public func stop() {
        running.withLock { watcher in
            guard let current = watcher else { return }
            // First the watcher, so it cannot reopen a region stopped below.
            current.stop()
            for region in regions { region.close() }
            tokenIssuer?.stop()
            watcher = nil
        }
    }

    public func region(named name: String) -> SimulatedRegion? {
        regions.first { $0.name == name }
    }
}
