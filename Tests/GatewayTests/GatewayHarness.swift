import BallastConfig
import BallastCore
import BallastTesting
import Gateway
import HTTPServer
import Upstream

/// A Ballast on loopback port 0 in front of test upstreams, and a libcurl client to call it.
struct GatewayHarness {
    let gateway: GatewayService
    let client: UpstreamClient

    init(
        regions: [RegionConfig], auth: AuthConfig = .staticKey(env: "TEST_KEY"),
        timeouts: TimeoutsConfig = TimeoutsConfig(connect: .seconds(1), firstByte: .seconds(30), idle: .seconds(30), total: .seconds(60)),
        maxBodyBytes: Int = 32_000_000, storePath: String = ":memory:"
    ) throws {
        let config = GatewayConfig(
            listen: ListenAddress(host: "127.0.0.1", port: 0),
            admin: AdminConfig(listen: ListenAddress(host: "127.0.0.1", port: 0)),
            store: StoreConfig(path: storePath),
            server: ServerConfig(threads: 2, maxBodyBytes: maxBodyBytes, drainTimeout: .seconds(5)),
            // Hedging off: these tests count attempts and regions exactly.
            upstream: UpstreamConfig(
                auth: auth, timeouts: timeouts, hedge: HedgeConfig(enabled: false),
                regions: regions),
            rules: RulesConfig(paths: []))
        gateway = try GatewayService(config: config, environment: ["TEST_KEY": "sk-configured"])
        try gateway.start()
        client = UpstreamClient()
        client.start()
    }

    /// A Ballast from YAML (regions usually pointing at an in-process `Simulator`).
    init(
        yaml: String, environment: [String: String] = [:], clock: any TimeSource = SystemClock(),
        storeBusyTimeout: Int32 = 5_000
    ) throws {
        let config = try GatewayConfig.parse(yaml, file: "test.yaml")
        gateway = try GatewayService(config: config, environment: environment, clock: clock, storeBusyTimeout: storeBusyTimeout)
        try gateway.start()
        client = UpstreamClient(options: UpstreamClientOptions(maxConnectionsPerHost: 256, maxConnections: 512))
        client.start()
    }

    /// Around a gateway the test built and started itself.
    init(gateway: GatewayService) {
        self.gateway = gateway
        client = UpstreamClient()
        client.start()
    }

    func stop() {
        client.shutdown()
        gateway.stop(gracePeriod: 0)
    }

    var baseURL: String { "http://\(gateway.proxyAddress)" }

    func post(
        _ path: String = "/v1/messages", body: String, headers: HTTPHeaders = ["content-type": "application/json"],
        collector: ResponseCollector = ResponseCollector()
    ) async -> ResponseCollector.Result {
        client.submit(UpstreamRequest(url: baseURL + path, headers: headers, body: Array(body.utf8)), delegate: collector)
        return await collector.result()
    }

    func get(_ url: String, headers: HTTPHeaders = [:]) async -> ResponseCollector.Result {
        let collector = ResponseCollector()
        client.submit(UpstreamRequest(method: "GET", url: url, headers: headers), delegate: collector)
        return await collector.result()
    }
}

/// A test upstream: a real HTTP server whose behaviour the test writes inline.
func startUpstream(_ body: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void) throws -> HTTPServer {
    let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), handler: ClosureHTTPHandler(body))
    try server.start()
    return server
}

/// A loopback address where nothing listens: a port bound and never listened on, held for the
/// rest of the test process, so a server started by a test running alongside cannot take it
/// (connections to it are refused).
func deadAddress() throws -> String {
    "127.0.0.1:\(try LoopbackPort.bound().port)"
}

/// Polls `condition` until it holds or `seconds` pass; for effects that happen on other threads.
func eventually(within seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
    let clock = SystemClock()
    let deadline = clock.now().adding(seconds: seconds)
    while clock.now() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
