import BallastConfig
import BallastCore
import BallastTesting
@testable import Gateway
import Testing
@testable import Proxy
@testable import BallastSimulator
import Upstream

/// A request waits for allowance only as long as its client will wait for it: the SDK's
/// `x-stainless-timeout`, `x-ballast-max-wait`, Ballast's `timeouts.total`, whichever is first.
@Suite struct DeadlinePacingTests {
    @Test func theDeadlineIsTheEarliestOfTheThree() {
        let none = HTTPHeaders()
        #expect(RequestDeadline.seconds(total: 600, headers: none) == 600)
        #expect(RequestDeadline.seconds(total: 600, headers: ["x-stainless-timeout": "15"]) == 15)
        #expect(RequestDeadline.seconds(total: 600, headers: ["x-stainless-timeout": "15", "x-ballast-max-wait": "2.5"]) == 2.5)
        #expect(RequestDeadline.seconds(total: 10, headers: ["x-stainless-timeout": "600"]) == 10)
        // Not a positive number of seconds: ignored, never a crash or a zero deadline.
        for bad in ["0", "-3", "soon", "", "nan", "inf", "1e400", " "] {
            #expect(RequestDeadline.seconds(total: 30, headers: ["x-stainless-timeout": bad]) == 30, "\(bad)")
        }
    }

    /// Against an upstream allowing 2 requests a second, a burst of 8 requests whose client
    /// waits 0.5 s: the ones that could not be sent in time are refused at once by Ballast
    /// (no upstream attempt) with `retry-after` and `retry-after-ms`, instead of waiting
    /// seconds for a slot their client will not read.
    @Test func aRequestIsRefusedRatherThanQueuedPastItsClientsTimeout() async throws {
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                rate_limit: { requests_per_second: 2, burst: 2 }
                regions:
                  - name: primary
                    listen: 127.0.0.1:0
                    latency: { first_byte: { median: 5ms, spread: 0 }, token_interval: 0ms }
                """))
        try simulator.start()
        defer { simulator.stop() }
        let harness = try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: ":memory:" }
                rules: { paths: [] }
                upstream:
                  auth: { mode: passthrough }
                  hedge: { enabled: false }
                  regions:
                    - { name: primary, base_url: "\(simulator.regions[0].baseURL)" }
                """)
        defer { harness.stop() }
        let body = #"{"model":"claude-sonnet-4-6","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"#
        var headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "k"]
        // One answer first, so pacing knows the limit from its headers.
        #expect(await harness.post(body: body, headers: headers).head?.status == 200)
        headers.add("x-stainless-timeout", "0.5")
        let impatient = headers
        let results = await withTaskGroup(of: ResponseCollector.Result.self) { group in
            for _ in 0..<8 { group.addTask { await harness.post(body: body, headers: impatient) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let refused = results.filter { $0.head?.status == 429 }
        #expect(refused.count >= 5, "statuses \(results.map { $0.head?.status ?? 0 })")
        for result in refused {
            #expect(result.head?.headers["x-ballast-attempts"] == "0")
            #expect(result.head?.headers["retry-after"] != nil)
            #expect(result.head?.headers["retry-after-ms"].flatMap(Int.init).map { $0 > 0 } == true)
            #expect(result.text.contains(#""type":"rate_limit_error""#))
        }
        // The others were sent. (Not "all answered 200": on a loaded CI machine an admitted
        // request can still run out its 0.5 s in the upstream, which is not what this checks.)
        for result in results where result.head?.status != 429 {
            #expect(
                result.head.map { $0.headers["x-ballast-attempts"] != "0" } == true,
                "status \(result.head?.status ?? 0): \(result.text)")
        }
    }
}
