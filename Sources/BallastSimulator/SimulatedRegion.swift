import BallastCore
#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Synchronization
import BallastTesting
import BallastConfig

/// One region of a running `Simulator`: an HTTP server on its own port that answers like
/// the Anthropic Messages API, with the region's latency and faults.
public final class SimulatedRegion: Sendable {
    /// Whether the region should and does listen. `active` is true between
    /// `Simulator.start` and `stop`; `listening` while `server` is bound.
    struct Listener {
        var active = false
        var listening = false
        /// While refusing: a socket bound to the region's port and never listened on. Connects
        /// are refused as with the port closed, and no other server (a test running alongside,
        /// binding port 0) can be handed the port meanwhile: seen once, the region could not
        /// listen again and a recovery test waited for it in vain.
        var placeholder: Int32?
    }

    public let config: SimulatedRegionConfig
    let engine: RegionEngine
    let server: HTTPServer
    /// Every start and stop of `server` happens under this lock, so the simulator, its
    /// watcher and `setFaults` never race on the listener. Lock order: `listener`, then the
    /// server's own locks; MHD threads never take it.
    private let listener = Mutex(Listener())

    /// - Parameter tokens: the simulator's issued OAuth tokens; when given, API requests need
    ///   one of them as a bearer token and `config.apiKey` is not checked.
    /// - Parameter organisationLimits: the simulator's organisation buckets, shared by its regions.
    init(
        config: SimulatedRegionConfig, seed: UInt64, clock: any TimeSource, tokens: IssuedTokenStore? = nil,
        organisationSettings: RateLimitSettings = RateLimitSettings(),
        organisationLimits: RateLimitStore = RateLimitStore(), cloud: CloudAccess = CloudAccess()
    ) {
        self.config = config
        engine = RegionEngine(
            config: config, seed: seed, clock: clock, tokens: tokens,
            organisationSettings: organisationSettings, organisationLimits: organisationLimits, cloud: cloud)
        server = HTTPServer(
            configuration: HTTPServerConfiguration(
                host: config.listen.host, port: config.listen.port,
                threads: config.threads),
            handler: engine)
    }

    public var name: String { config.name }

    /// The bound port (the real one when the config said 0); 0 before `Simulator.start()`.
    /// Unchanged while `refuse_connections` keeps the listener closed.
    public var port: UInt16 { server.port }

    /// `http://127.0.0.1:PORT`, the base URL a client (or Ballast) points at.
    public var baseURL: String { "http://\(server.address)" }

    /// True while the region accepts connections: false before `Simulator.start()`, after
    /// `stop()`, and while `refuse_connections` is in force.
    public var isListening: Bool { listener.withLock { $0.listening } }

    /// The faults in force when no schedule entry is active.
    public var faults: FaultSettings { engine.baseFaults }

    /// The faults in force now: the base ones with any active schedule entries applied.
    public var effectiveFaults: FaultSettings { engine.effectiveFaults }

    /// Replaces the base faults at run time (schedule entries still apply on top). A change of
    /// `refuseConnections` takes effect before this returns: closing the listener cuts open
    /// connections and may take up to half a second.
    public func setFaults(_ faults: FaultSettings) {
        engine.setBaseFaults(faults)
        syncListener()
    }

    public var stats: SimulatorStats { engine.stats.snapshot }

    // MARK: Listener, driven by the Simulator

    /// Binds the port (so a port 0 config learns its real port even when the region starts
    /// out refusing), then closes it again at once if `refuseConnections` is in force.
    func open() throws {
        try listener.withLock { l in
            guard !l.active else { return }
            try server.start()
            l.active = true
            l.listening = true
            reconcile(&l)
        }
    }

    /// Closes the listener for good (until the next `open`); open streams are cut.
    func close() {
        listener.withLock { l in
            l.active = false
            if let placeholder = l.placeholder {
                Glibc.close(placeholder)
                l.placeholder = nil
            }
            guard l.listening else { return }
            server.stop(gracePeriod: 0)
            l.listening = false
        }
    }

    /// Makes the listener match the effective `refuseConnections`. Called by the simulator's
    /// watcher every few milliseconds and by `setFaults`; never from a server thread (stopping
    /// the server joins those threads).
    func syncListener() {
        listener.withLock { reconcile(&$0) }
    }

    private func reconcile(_ l: inout Listener) {
        guard l.active else { return }
        let refuse = engine.effectiveFaults.refuseConnections
        if refuse, l.listening {
            server.stop(gracePeriod: 0)
            l.listening = false
            l.placeholder = try? LoopbackPort.hold(host: config.listen.host, port: Int(server.port))
            engine.stats.update { $0.refusalPeriods += 1 }
        } else if !refuse, !l.listening {
            if let placeholder = l.placeholder {
                Glibc.close(placeholder)
                l.placeholder = nil
            }
            // The port may have been taken meanwhile; the watcher's next poll tries again.
            do {
                try server.start()
                l.listening = true
            } catch {}
        }
    }
}
