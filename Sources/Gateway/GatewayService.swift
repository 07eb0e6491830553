public import BallastConfig
public import BallastCore
import Cache
import CloudRegions
import ControlModels
import HTTPServer
public import Logging
import Metrics
import SharedState
import Synchronization
public import Telemetry
import Tracing
import Upstream
#if canImport(Glibc)
import Glibc
import ControlPlane
import Proxy
import Resilience
import RulesRuntime
#endif

/// A running Ballast: the proxy listener, the admin listener and the upstream client,
/// built from one `GatewayConfig`.
public final class GatewayService: Sendable {
    public let config: GatewayConfig
    private let client: UpstreamClient
    private let router: Router
    private let proxyServer: HTTPServer
    /// Largest body the admin listener reads: control requests are a few hundred bytes.
    static let adminMaxBodyBytes = 1024 * 1024
    private let adminServer: HTTPServer
    /// `admin.probe_listen`: probes and metrics only; nil when not configured.
    private let probeServer: HTTPServer?
    /// Set at the first stop signal: `/readyz` answers 503 from then on.
    private let shuttingDown = ShutdownFlag()
    private let logger: Logger
    private let registry: MetricsRegistry
    private let credentials: any UpstreamCredentials
    private let telemetry: TelemetryWriter
    /// The SQLite store (telemetry, audit, operator overrides); tests reach it to cap its size.
    let store: TelemetryStore
    private let cache: CacheContext?
    private let homes: ObjectHomes
    /// Client keys and their limits (`clients`).
    let clients: ClientGate
    private let configPath: String?
    private let environment: [String: String]
    let rules: RuleController
    private let migrations: MigrationController
    /// Redis-backed sharing with other instances; nil when this one runs alone.
    private let shared: SharedRuntime?
    /// Window queries over the telemetry (rules and the control API read these).
    public let windows: TelemetryWindows
    private let stopped = Mutex(false)
    /// OpenTelemetry trace export (`tracing`); nil when off.
    private let tracer: Tracer?

    /// - Parameters:
    ///   - environment: where `api_key_env` and friends are looked up (the process
    ///     environment in production, a dictionary in tests).
    ///   - storeBusyTimeout: milliseconds a store connection waits for another's write lock
    ///     before the write fails (`SQLITE_BUSY`); tests shorten it.
    ///   - configPath: the file `config` was read from: `reloadClientsFromFile()` (SIGHUP,
    ///     `POST /control/v1/clients/reload`) re-reads its `clients` section.
    public init(
        config: GatewayConfig, environment: [String: String], clock: any TimeSource = SystemClock(),
        logger: Logger = Logger(label: "ballast"), storeBusyTimeout: Int32 = 5_000, configPath: String? = nil
    ) throws {
        self.config = config
        self.configPath = configPath
        self.environment = environment
        self.logger = logger
        let pool = config.upstream.pool
        client = UpstreamClient(
            options: UpstreamClientOptions(
                maxConnectionsPerHost: pool.maxPerHost,
                maxConnections: pool.maxTotal,
                idleConnectionTimeout: pool.idleTimeout.seconds),
            clock: clock)
        let credentials = try Self.credentials(
            for: config.upstream.auth, environment: environment, client: client,
            clock: clock)
        self.credentials = credentials
        router = Router(
            regions: config.upstream.regions.map {
                Region(name: $0.name, baseURL: $0.baseURL, weight: $0.weight, limitGroup: $0.limitGroup)
            })
        // Bedrock and Vertex regions: their credentials are resolved now, so a missing one is a
        // start-up error that names the variable or file.
        let cloud: CloudRegionSet
        do {
            cloud = try CloudRegionSet.make(
                config.upstream.regions, environment: environment, client: client, clock: clock,
                logger: logger)
        } catch {
            throw GatewayStartupError.missingCredential(error.description)
        }
        let timeouts = config.upstream.timeouts
        var options = ProxyOptions(
            defaultAnthropicVersion: config.upstream.anthropicVersion,
            timeouts: UpstreamTimeouts(
                connect: timeouts.connect.seconds, firstByte: timeouts.firstByte.seconds,
                idle: timeouts.idle.seconds, total: timeouts.total.seconds),
            maxRequestBodyBytes: config.server.maxBodyBytes)
        options.maxJSONDepth = config.server.maxJSONDepth
        options.maxSSEEventBytes = config.server.maxSSEEventBytes
        options.streamBufferBytes = config.server.streamBufferBytes
        let registry = MetricsRegistry()
        let metrics = GatewayMetrics(registry: registry, version: BallastVersion.current)
        self.registry = registry
        let upstream = config.upstream
        let shared = try config.shared.redis.map {
            try SharedRuntime(config: $0, environment: environment, pacing: upstream.pacing, clock: clock, logger: logger)
        }
        self.shared = shared
        let policy = CallPolicy(
            retry: upstream.retry, hedge: upstream.hedge, pacing: upstream.pacing,
            concurrency: upstream.concurrency, regions: router.regions, now: clock.now(),
            shared: shared?.allowance)
        metrics.registerPolicyGauges(policy: policy, credentials: credentials, clock: clock)
        let store: TelemetryStore
        let auditLog: AuditLog
        do {
            store = try TelemetryStore(path: config.store.path, clock: clock, busyTimeout: storeBusyTimeout)
            auditLog = try AuditLog(store: store)
            let writer = try TelemetryWriter(
                store: store,
                options: TelemetryWriterOptions(
                    rawRetention: config.store.rawRetention.seconds, rollupRetention: config.store.rollupRetention.seconds,
                    auditRetention: config.store.rollupRetention.seconds), clock: clock
            ) { [logger] line, lastError in
                logger.warning(
                    "store: \(line.count) \(line.key.what) lost (\(line.key.reason.rawValue)) since the last line, \(line.total) in all",
                    metadata: [
                        "reason": "\(line.key.reason.rawValue)", "lost": "\(line.count)", "total": "\(line.total)",
                        "last_error": "\(lastError ?? "none")",
                    ])
            }
            telemetry = writer
            windows = try TelemetryWindows(
                store: store, writer: writer, clock: clock,
                rawRetention: config.store.rawRetention.seconds,
                rollupRetention: config.store.rollupRetention.seconds)
        } catch {
            throw GatewayStartupError.storeFailed("cannot open the store at \(config.store.path): \(error)")
        }
        self.store = store
        metrics.registerTelemetryGauges(writer: telemetry, health: store.health)
        var cacheContext: CacheContext?
        if config.cache.enabled {
            let cachePath = config.store.path == ":memory:" ? ":memory:" : config.store.path + "-cache"
            do {
                let store = try ResponseCache(
                    path: cachePath,
                    options: ResponseCacheOptions(
                        maxEntries: config.cache.maxEntries, maxBytes: config.cache.maxBytes))
                cacheContext = CacheContext(
                    policy: CachePolicy(
                        enabled: true, defaultTTL: config.cache.defaultTTL.seconds,
                        maxTTL: config.cache.maxTTL.seconds,
                        temperatureZeroTTL: config.cache.temperatureZeroTTL.seconds),
                    store: store, shared: shared?.cacheTier)
            } catch {
                throw GatewayStartupError.storeFailed("cannot open the response cache at \(cachePath): \(error)")
            }
        }
        self.cache = cacheContext
        if let cacheContext { metrics.registerCacheCounters(cacheContext) }
        let windowSource = TelemetryWindowSource(windows: windows, regions: router.regions.map(\.name))
        let migrations = MigrationController(
            config: config.migrations, windows: windowSource.canaries, writer: telemetry,
            store: store, clock: clock, logger: logger, changesObserver: shared?.decisions)
        self.migrations = migrations
        metrics.registerMigrationGauges(migrations)
        metrics.registerCloudCredentialCounters(cloud)
        let homes = ObjectHomes(store: store, clock: clock, logger: logger)
        self.homes = homes
        if config.upstream.auth.mode == .passthrough, config.clients.isEnabled {
            // The config reader refuses this too: a client key must never be forwarded upstream.
            throw GatewayStartupError.missingCredential("client keys need upstream.auth mode static or oauth, not passthrough")
        }
        let clients = try ClientGate(
            config: config.clients, environment: environment, clock: clock,
            shared: shared.map { SharedClientLimits(client: $0.client, keyPrefix: $0.config.keyPrefix) },
            metrics: metrics)
        self.clients = clients
        let usageMetrics = UsageMetrics(registry: registry, config: config.metrics)
        let tracer = Self.makeTracer(config.tracing, environment: environment, client: client, clock: clock, registry: registry)
        self.tracer = tracer
        // The rule controller before the request path's context, which consults it; the
        // controller tells the context when a region goes out or comes back, connected below.
        let pacingClock = clock
        let rules = try RuleController(
            config: config, source: windowSource, router: router, writer: telemetry,
            store: store, migrations: migrations, clock: clock, logger: logger,
            overridesObserver: shared?.overrides, decisionsObserver: shared?.decisions,
            // Failback is capacity-aware: a region whose probes passed gets its whole weight
            // back at once while the regions still serving are at their allowance or queueing.
            capacityShort: { [policy] region in policy.isCapacityShort(region: region, now: pacingClock.now()) })
        self.rules = rules
        let context = ProxyContext(
            client: client, router: router, credentials: credentials, clock: clock,
            options: options, policy: policy, metrics: metrics,
            sink: CompositeSink(
                sinks: [
                    MetricsSink(metrics: metrics),
                    UsageSink(metrics: usageMetrics),
                    ModelNoteSink(source: windowSource),
                    CanarySink(windows: migrations.windows),
                ]
                    + (config.store.recordRequests ? [TelemetrySink(writer: telemetry)] : [])
                    + (config.log.access ? [AccessLogSink(logger: logger)] : [])),
            cache: cacheContext, migrations: migrations, rules: rules, homes: homes, clients: clients,
            cloud: cloud.isEmpty ? nil : cloud,
            accounting: UsageAccounting(pricing: config.pricing), tracer: tracer)
        metrics.registerObjectHomeGauges(homes)
        // A region going out moves the requests stuck there at once, and one coming back is
        // looked at by the requests waiting elsewhere, on the loop thread.
        rules.connectRegionNews { [context] news in
            context.client.execute {
                switch news {
                case .out(let region): context.regionWentOut(region)
                case .back(let region): context.regionCameBack(region)
                }
            }
        }
        metrics.registerRuleGauges(rules: rules, router: router)
        shared?.overrides.attach(rules)
        shared?.decisions.attach(rules)
        shared?.registerMetrics(registry)
        var proxyListener = HTTPServerConfiguration(
            host: config.listen.host, port: config.listen.port,
            threads: config.server.threads, maxBodyBytes: config.server.maxBodyBytes)
        proxyListener.headerTimeout = config.server.headerTimeout.seconds
        proxyListener.bodyIdleTimeout = config.server.bodyIdleTimeout.seconds
        proxyServer = HTTPServer(configuration: proxyListener, handler: ProxyHandler(context: context))
        let proxy = proxyServer
        let auth = ControlAuth(
            token: environment[config.admin.tokenEnv], pageIsOpen: config.admin.open,
            tokenSource: config.admin.tokenEnv)
        let controlRefusals = RefusalCounts()
        var clientsReload: (@Sendable () throws(ClientsReloadError) -> String)?
        if let configPath {
            clientsReload = { () throws(ClientsReloadError) -> String in
                try GatewayService.reloadClients(clients, path: configPath, environment: environment)
            }
        }
        let control = ControlAPI(
            context: ControlContext(
                rules: rules, migrations: migrations, router: router, client: client, policy: policy,
                windows: windows, auditLog: auditLog, writer: telemetry,
                storeHealth: store.health, clock: clock,
                auth: auth, version: BallastVersion.current,
                startedAt: clock.wallTime(), proxyInFlight: { proxy.inFlightCount },
                shared: shared, refusals: controlRefusals, clients: clients,
                reloadClients: clientsReload, usage: usageMetrics))
        var adminListener = HTTPServerConfiguration(
            host: config.admin.listen.host, port: config.admin.listen.port,
            threads: 1, maxBodyBytes: Self.adminMaxBodyBytes)
        adminListener.headerTimeout = config.server.headerTimeout.seconds
        adminListener.bodyIdleTimeout = config.server.bodyIdleTimeout.seconds
        let readiness = Readiness.probe(shuttingDown: shuttingDown, storeHealth: store.health, router: router, rules: rules)
        let (adminRouter, adminClient) = (router, client)
        let handler = { (control: ControlAPI?) in
            AdminHandler(
                router: adminRouter, client: adminClient, registry: registry, control: control,
                storeHealth: store.health, proxyInFlight: { proxy.inFlightCount }, readiness: readiness)
        }
        adminServer = HTTPServer(configuration: adminListener, handler: handler(control))
        // The probe listener is the admin handler without the control API: the open routes only.
        probeServer = config.admin.probeListen.map { address in
            var probeListener = adminListener
            probeListener.host = address.host
            probeListener.port = address.port
            return HTTPServer(configuration: probeListener, handler: handler(nil))
        }
        metrics.registerRefusals(
            proxy: proxyServer.refusals, admin: adminServer.refusals, input: context.refusals,
            control: controlRefusals)
    }

    /// Starts the upstream loop and both listeners.
    public func start() throws {
        client.start()
        tracer?.exporter.start()
        shared?.start(info: sharedInfo())
        rules.start()
        do {
            try proxyServer.start()
            try adminServer.start()
            try probeServer?.start()
        } catch {
            proxyServer.stop()
            adminServer.stop()
            client.shutdown()
            throw GatewayStartupError.listenFailed("\(error)")
        }
        shared?.describe(sharedInfo())
        if config.clients.requireKeyExplicit, !config.clients.requireKey, config.upstream.auth.mode != .passthrough {
            // Said on purpose in the file, and said again at every start so nobody forgets.
            logger.warning(
                "clients.require_key is false: requests without a client key are sent with the \(config.upstream.auth.mode.rawValue) credential",
                metadata: [
                    "proxy": "\(proxyServer.address)", "loopback": "\(config.listen.isLoopback)",
                ])
        }
        logger.info(
            "ballast listening",
            metadata: [
                "rules": "\(rules.ruleCount)",
                "proxy": "\(proxyServer.address)", "admin": "\(adminServer.address)", "probe": "\(probeServer?.address ?? "none")",
                "regions": "\(router.regions.map { "\($0.name)=\($0.weight)" }.joined(separator: ","))",
            ])
    }

    public var proxyAddress: String { proxyServer.address }
    public var adminAddress: String { adminServer.address }
    /// The probe listener's address (`admin.probe_listen`), or nil.
    public var probeAddress: String? { probeServer?.address }

    /// The first stop signal: `/readyz` answers 503 from now on, while the proxy keeps
    /// serving until `stop(gracePeriod:)` (see `ShutdownSequence`). Safe to call more than once.
    public func announceShutdown(listenerClosesIn delay: Double) {
        guard shuttingDown.raise() else { return }
        logger.info(
            "shutting down: /readyz answers 503, the proxy listener closes after the delay",
            metadata: [
                "delay_seconds": "\(delay)", "in_flight": "\(proxyServer.inFlightCount)",
            ])
    }

    /// Requests on the proxy listener not yet completed.
    public var inFlightRequests: Int { proxyServer.inFlightCount }

    /// Reloads the rule files (SIGHUP, file change, control API): all or nothing. Returns the
    /// errors of a failed reload, or nil.
    @discardableResult
    public func reloadRules(actor: String = "ballast") -> String? {
        rules.reload(actor: actor).map { "\($0)" }
    }

    /// Runs one rule evaluation now (tests; the controller's thread does this on its own).
    public func evaluateRules() {
        rules.tick()
    }

    /// The region weights in force.
    public var routeWeights: [String: Int] { router.currentWeights }

    /// Writes everything handed to the telemetry writer so far (tests, shutdown).
    public func flushTelemetry() {
        telemetry.flush()
    }

    /// Upstream calls in flight.
    public var activeUpstreamTransfers: Int { client.activeTransfers }

    /// Stops accepting, lets in-flight requests and streams finish for up to `gracePeriod`
    /// seconds, then stops everything. Safe to call more than once.
    public func stop(gracePeriod: Double) {
        let first = stopped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        _ = shuttingDown.raise()
        logger.info("draining", metadata: ["in_flight": "\(proxyServer.inFlightCount)", "grace_seconds": "\(gracePeriod)"])
        proxyServer.stop(gracePeriod: gracePeriod)
        // The admin and probe listeners outlive the drain: probes and Prometheus see it.
        adminServer.stop()
        probeServer?.stop()
        rules.stop()
        shared?.stop()
        tracer?.exporter.stop()
        client.shutdown()
        homes.flush()
        telemetry.close()
        cache?.store.close()
        logger.info("stopped")
    }

    private static func credentials(
        for auth: AuthConfig, environment: [String: String], client: UpstreamClient,
        clock: any TimeSource
    ) throws -> any UpstreamCredentials {
        switch auth.mode {
        case .passthrough:
            return PassthroughCredentials()
        case .static:
            return StaticKeyCredentials(key: try staticKey(auth, environment: environment))
        case .oauth:
            guard let tokenURL = auth.tokenURL, let clientID = auth.clientID, let secretName = auth.clientSecretEnv else {
                throw GatewayStartupError.missingCredential("oauth mode needs token_url, client_id and client_secret_env")
            }
            guard let secret = environment[secretName], !secret.isEmpty else {
                throw GatewayStartupError.missingCredential("environment variable \(secretName) is not set")
            }
            return OAuthCredentials(tokenURL: tokenURL, clientID: clientID, clientSecret: secret, client: client, clock: clock)
        }
    }

    /// The static key from its env var or file; named in errors, never shown.
    static func staticKey(_ auth: AuthConfig, environment: [String: String]) throws -> String {
        if let name = auth.apiKeyEnv {
            guard let key = environment[name], !key.isEmpty else {
                throw GatewayStartupError.missingCredential("environment variable \(name) is not set")
            }
            return key
        }
        if let path = auth.apiKeyFile {
            let key: String?
            do {
                key = try readKeyFile(path)
            } catch {
                throw GatewayStartupError.missingCredential("key file \(error)")
            }
            guard let key else {
                throw GatewayStartupError.missingCredential("key file \(path) is empty")
            }
            return key
        }
        throw GatewayStartupError.missingCredential("static mode needs api_key_env or api_key_file")
    }

    /// SIGHUP: re-reads a static key (from its env var as the process sees it, or its file)
    /// without a restart. Returns a line for the log; never the key.
    public func reloadCredentials(environment: [String: String]) -> String {
        guard let staticCredentials = credentials as? StaticKeyCredentials else {
            return "credentials: nothing to reload in \(config.upstream.auth.mode.rawValue) mode"
        }
        do {
            staticCredentials.replaceKey(try Self.staticKey(config.upstream.auth, environment: environment))
            return "credentials: static key re-read"
        } catch {
            return "credentials: kept the current key (\(error))"
        }
    }

    /// SIGHUP: takes the `clients` section of a re-read config (rotated keys, new limits).
    /// All or nothing; requests in flight keep their admission. Returns a line for the log
    /// (names, never a key).
    public func reloadClients(_ clients: ClientsConfig, environment: [String: String]) -> String {
        do {
            return try self.clients.replace(clients, environment: environment)
        } catch {
            return "clients: kept the current keys (\(error))"
        }
    }

    /// SIGHUP and `POST /control/v1/clients/reload`: re-reads the config file's `clients`
    /// section (the whole file must be valid) and replaces the key set. Returns a line for the
    /// log; never a key.
    public func reloadClientsFromFile() -> String {
        guard let configPath else { return "clients: no config file to re-read" }
        do {
            return try Self.reloadClients(clients, path: configPath, environment: environment)
        } catch {
            return "clients: kept the current keys (\(error.message))"
        }
    }

    static func reloadClients(_ gate: ClientGate, path: String, environment: [String: String]) throws(ClientsReloadError) -> String {
        let config: GatewayConfig
        do {
            config = try GatewayConfig.load(path: path, environment: environment)
        } catch {
            throw ClientsReloadError(message: "\(path) has errors: " + error.issues.map(\.description).joined(separator: "; "))
        }
        do {
            return try gate.replace(config.clients, environment: environment)
        } catch {
            throw ClientsReloadError(message: "\(error)")
        }
    }

    /// 64 KiB: an API key is some 100 bytes; the bound only keeps a wrong path (a device, a
    /// log file) from being read whole.
    static let maxKeyFileBytes = 64 << 10

    /// The first line of a key file, trimmed, or nil when it is empty. Only a regular file of at
    /// most `maxKeyFileBytes` is read: a FIFO or a device is an error naming the path.
    static func readKeyFile(_ path: String) throws(RegularFileError) -> String? {
        let bytes = try RegularFile.read(path: path, maxBytes: maxKeyFileBytes)
        let line = bytes.prefix { $0 != UInt8(ascii: "\n") }
        let key = String(String(decoding: line, as: UTF8.self).trimmingSpaces())
        return key.isEmpty ? nil : key
    }
}

extension GatewayService {
    /// What this instance's heartbeat tells the others (JSON; no secrets).
    func sharedInfo() -> String {
        let info = InstanceInfo(
            version: BallastVersion.current, proxy: proxyAddress, admin: adminAddress, regions: config.upstream.regions.map(\.name))
        // Strings only: encoding cannot fail.
        return (try? ControlCoding.encode(info)) ?? "{}"
    }
}
