import BallastCore
import HTTPServer

/// One region of a running `Simulator`: an HTTP server on its own port that answers like
/// the Anthropic Messages API, with the region's latency and faults.
public final class SimulatedRegion: Sendable {
    public let config: SimulatedRegionConfig
    let engine: RegionEngine
    let server: HTTPServer

    init(config: SimulatedRegionConfig, seed: UInt64, clock: any Clock) {
        self.config = config
        engine = RegionEngine(config: config, seed: seed, clock: clock)
        server = HTTPServer(configuration: HTTPServerConfiguration(host: config.listen.host, port: config.listen.port,
                                                                   threads: config.threads),
                            handler: engine)
    }

    public var name: String { config.name }

    /// The bound port (the real one when the config said 0); 0 before `Simulator.start()`.
    public var port: UInt16 { server.port }

    /// `http://127.0.0.1:PORT`, the base URL a client (or Ballast) points at.
    public var baseURL: String { "http://\(server.address)" }

    /// The faults in force when no schedule entry is active.
    public var faults: FaultSettings { engine.baseFaults }

    /// The faults in force now: the base ones with any active schedule entries applied.
    public var effectiveFaults: FaultSettings { engine.effectiveFaults }

    /// Replaces the base faults at run time (schedule entries still apply on top).
    public func setFaults(_ faults: FaultSettings) {
        engine.setBaseFaults(faults)
    }

    public var stats: SimulatorStats { engine.stats.snapshot }
}
