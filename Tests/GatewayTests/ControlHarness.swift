import BallastCore
import BallastTesting
import Foundation
import Gateway
import HTTPServer
import Synchronization
import Telemetry
import Upstream

/// A Ballast with two counting upstream regions (`primary`, `secondary`), an admin token and
/// a store file, plus helpers to call the control API and to count where requests went.
final class ControlHarness {
    static let token = "test-admin-token-1234"
    let primary: HTTPServer
    let secondary: HTTPServer
    let counts = RegionCounts()
    var harness: GatewayHarness
    let directory: TemporaryDirectory
    let clock: any TimeSource
    let rulesYAML: String
    let storeBusyTimeout: Int32
    let firstByteTimeout: Int

    /// `primaryStalls`: the primary accepts requests and never answers.
    init(
        rules: String = "", clock: any TimeSource = SystemClock(), open: Bool = false, storeBusyTimeout: Int32 = 5_000,
        primaryStalls: Bool = false, firstByteTimeout: Int = 10
    ) throws {
        self.storeBusyTimeout = storeBusyTimeout
        directory = try TemporaryDirectory("ballast-control")
        self.clock = clock
        rulesYAML = rules
        let counts = self.counts
        func upstream(_ name: String) throws -> HTTPServer {
            try startUpstream { request, responder in
                counts.value.withLock { $0[name, default: 0] += 1 }
                if primaryStalls, name == "primary" { return }
                let model = (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["model"] as? String ?? "?"
                responder.respond(.json(200, #"{"id":"msg_1","type":"message","model":"\#(model)","region":"\#(name)"}"#))
            }
        }
        primary = try upstream("primary")
        secondary = try upstream("secondary")
        if !rules.isEmpty { try rules.write(toFile: directory.path("rules.yaml"), atomically: true, encoding: .utf8) }
        self.firstByteTimeout = firstByteTimeout
        harness = try Self.start(
            directory: directory, primary: primary.address, secondary: secondary.address, clock: clock,
            rules: !rules.isEmpty, open: open, storeBusyTimeout: storeBusyTimeout,
            firstByteTimeout: firstByteTimeout)
    }

    static func start(
        directory: TemporaryDirectory, primary: String, secondary: String, clock: any TimeSource, rules: Bool,
        open: Bool, storeBusyTimeout: Int32 = 5_000, firstByteTimeout: Int = 10
    ) throws -> GatewayHarness {
        try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0, token_env: TEST_ADMIN_TOKEN, open: \(open) }
                store: { path: "\(directory.path("ballast.db"))" }
                rules: { paths: [\(rules ? "\"\(directory.path("rules.yaml"))\"" : "")] }
                upstream:
                  auth: { mode: passthrough }
                  hedge: { enabled: false }
                  timeouts: { connect: 1s, first_byte: \(firstByteTimeout)s, idle: \(firstByteTimeout)s, total: \(firstByteTimeout + 20)s }
                  regions:
                    - { name: primary, base_url: "http://\(primary)", weight: 1 }
                    - { name: secondary, base_url: "http://\(secondary)", weight: 1 }
                """, environment: ["TEST_ADMIN_TOKEN": token], clock: clock, storeBusyTimeout: storeBusyTimeout)
    }

    /// Stops Ballast and starts a new one on the same store (the upstreams stay).
    func restart() throws {
        harness.stop()
        harness = try Self.start(
            directory: directory, primary: primary.address, secondary: secondary.address, clock: clock,
            rules: !rulesYAML.isEmpty, open: false, storeBusyTimeout: storeBusyTimeout,
            firstByteTimeout: firstByteTimeout)
    }

    func stop() {
        harness.stop()
        primary.stop()
        secondary.stop()
        directory.remove()
    }

    var gateway: GatewayService { harness.gateway }
    var adminURL: String { "http://\(harness.gateway.adminAddress)" }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var text: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }
        var errorMessage: String { (json["error"] as? [String: Any])?["message"] as? String ?? "" }
    }

    /// Calls the admin listener; `token: nil` sends no Authorization header.
    func call(
        _ method: String, _ path: String, body: String? = nil, token: String? = ControlHarness.token,
        headers extra: HTTPHeaders = [:]
    ) async -> Reply {
        var headers = extra
        if let token { headers.set("authorization", "Bearer \(token)") }
        if body != nil { headers.set("content-type", "application/json") }
        let collector = ResponseCollector()
        harness.client.submit(
            UpstreamRequest(
                method: method, url: adminURL + path, headers: headers,
                body: Array((body ?? "").utf8)), delegate: collector)
        let result = await collector.result()
        return Reply(status: result.head?.status ?? 0, headers: result.head?.headers ?? [:], text: result.text)
    }

    /// Sends `count` requests one after another; returns how many each region served.
    func send(_ count: Int, model: String = "claude-sonnet-4-6") async -> [String: Int] {
        counts.value.withLock { $0 = [:] }
        for _ in 0..<count {
            _ = await harness.post(
                body: #"{"model":"\#(model)","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#,
                headers: ["content-type": "application/json", "x-api-key": "k"])
        }
        return counts.value.withLock { $0 }
    }

    func auditRows(_ condition: String) throws -> Int {
        gateway.flushTelemetry()
        let store = try TelemetryStore(path: directory.path("ballast.db"))
        return Int(try store.scalar("SELECT count(*) FROM audit WHERE \(condition)") ?? "0") ?? 0
    }
}
