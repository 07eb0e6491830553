import BallastConfig
import BallastCore
import BallastTesting
import Foundation
@testable import Gateway
import Telemetry
import Testing
import Upstream
@testable import BallastSimulator

/// Canaries end to end: a real Ballast in front of the simulator, the schedule on a manual
/// clock, operators' commands through the control API, the audit trail.
@Suite(.serialized) struct CanaryTests {
    static let token = "canary-admin-token"

    static func simulator(failingModel: String? = nil) throws -> Simulator {
        let schedule = failingModel.map { #"schedule: [{ at: 0s, for: 1h, models: ["\#($0)"], faults: { error_ratio: { "500": 0.05 } } }]"# } ?? ""
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                seed: 4
                regions:
                  - name: primary
                    listen: 127.0.0.1:0
                    latency: { first_byte: { median: 2ms }, token_interval: 0ms }
                    output: { min_tokens: 4, max_tokens: 4 }
                    \(schedule)
                """))
        try simulator.start()
        return simulator
    }

    /// - Parameter rules: rule file paths (globs), none by default.
    static func harness(
        simulator: Simulator, directory: TemporaryDirectory, clock: any TimeSource, canaries: String,
        rules: [String] = []
    ) throws -> GatewayHarness {
        try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: "\(directory.path("ballast.db"))" }
                rules: { paths: [\(rules.map { "\"\($0)\"" }.joined(separator: ", "))] }
                upstream:
                  auth: { mode: passthrough }
                  hedge: { enabled: false }
                  regions:
                    - { name: primary, base_url: "\(simulator.regions[0].baseURL)", weight: 1 }
                migrations:
                  canaries:
                \(canaries)
                """, environment: ["BALLAST_ADMIN_TOKEN": token], clock: clock)
    }

    static let nextSonnet = """
          - name: sonnet-next
            from: { model: claude-sonnet-4-5 }
            to: { model: claude-sonnet-4-6 }
            steps: [10%, 50%, 100%]
            min_step_time: 60s
            sticky_by: [header:x-ballast-conversation]
        """

    /// Sends one request per conversation; returns how many answers came from the new model
    /// and whether every new-side answer said so in `x-ballast-canary`.
    static func send(_ harness: GatewayHarness, conversations: Range<Int>) async -> (new: Int, old: Int, labelled: Bool, failed: Int) {
        var new = 0, old = 0, failed = 0
        var labelled = true
        for conversation in conversations {
            let result = await harness.post(
                body: #"{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi \#(conversation)"}]}"#,
                headers: ["content-type": "application/json", "x-api-key": "k", "x-ballast-conversation": "c-\(conversation)"])
            guard result.head?.status == 200 else {
                failed += 1
                continue
            }
            let isNew = result.text.contains(#""model":"claude-sonnet-4-6""#)
            if isNew { new += 1 } else { old += 1 }
            if isNew != (result.head?.headers["x-ballast-canary"] == "sonnet-next") { labelled = false }
        }
        return (new, old, labelled, failed)
    }

    @Test func aHealthyCanaryAdvancesThroughEveryStepToTheEnd() async throws {
        let simulator = try Self.simulator()
        defer { simulator.stop() }
        let directory = try TemporaryDirectory("ballast-canary")
        defer { directory.remove() }
        let clock = ManualClock(wallTime: 1_800_000_000)
        let harness = try Self.harness(simulator: simulator, directory: directory, clock: clock, canaries: Self.nextSonnet)
        defer { harness.stop() }

        let first = await Self.send(harness, conversations: 0..<200)
        #expect(first.failed == 0 && first.labelled)
        #expect((8...35).contains(first.new), "about 10% on the new side: \(first)")
        let again = await Self.send(harness, conversations: 0..<200)
        #expect(again.new == first.new, "the same conversations stay on the same side")

        clock.advance(seconds: 59)
        harness.gateway.evaluateRules()
        #expect(await Self.send(harness, conversations: 0..<200).new == first.new, "not before min_step_time")
        clock.advance(seconds: 1)
        harness.gateway.evaluateRules()
        let half = await Self.send(harness, conversations: 0..<200)
        #expect((75...125).contains(half.new) && half.new > first.new, "about 50%: \(half)")
        clock.advance(seconds: 60)
        harness.gateway.evaluateRules()
        #expect(await Self.send(harness, conversations: 0..<50).new == 50, "100%")
        clock.advance(seconds: 60)
        harness.gateway.evaluateRules()
        let finished = await Self.send(harness, conversations: 200..<250)
        #expect(finished.new == 50 && finished.labelled)

        harness.gateway.flushTelemetry()
        let store = try TelemetryStore(path: directory.path("ballast.db"))
        let advances = try store.scalar("SELECT group_concat(reason, ' | ') FROM audit WHERE kind = 'canary_changed' AND action = 'advance'") ?? ""
        #expect(
            advances.contains("running at 50% (step 2 of 3)") && advances.contains("running at 100% (step 3 of 3)")
                && advances.contains("finished (100%)"), "\(advances)")
        let sides =
            try store.scalar(
                "SELECT group_concat(side, ',') FROM (SELECT canary_side || '=' || count(*) AS side FROM requests "
                    + "WHERE canary = 'sonnet-next' GROUP BY canary_side ORDER BY canary_side)") ?? ""
        #expect(sides.hasPrefix("new=") && sides.contains(",old="), "request rows are labelled by canary side: \(sides)")
        let metrics = await harness.get("http://\(harness.gateway.adminAddress)/metrics").text
        #expect(metrics.contains(#"ballast_canary_share{canary="sonnet-next"} 1"#))
        #expect(metrics.contains(#"ballast_canary_requests_total{canary="sonnet-next",side="new",class="success"}"#))
    }

    @Test func anOperatorRollsBackAndResumesThroughTheControlAPI() async throws {
        let simulator = try Self.simulator()
        defer { simulator.stop() }
        let directory = try TemporaryDirectory("ballast-canary")
        defer { directory.remove() }
        let harness = try Self.harness(simulator: simulator, directory: directory, clock: SystemClock(), canaries: Self.nextSonnet)
        defer { harness.stop() }
        let admin = "http://\(harness.gateway.adminAddress)"
        func post(_ path: String, _ body: String) async -> (Int, String) {
            let collector = ResponseCollector()
            harness.client.submit(
                UpstreamRequest(
                    method: "POST", url: admin + path,
                    headers: ["authorization": "Bearer \(Self.token)", "content-type": "application/json"],
                    body: Array(body.utf8)), delegate: collector)
            let result = await collector.result()
            return (result.head?.status ?? 0, result.text)
        }
        let (status, text) = await post("/control/v1/canaries/sonnet-next/rollback", #"{"reason":"customer reports"}"#)
        #expect(status == 200 && text.contains(#""phase":"rolled_back""#), "\(text)")
        #expect(await Self.send(harness, conversations: 0..<100).new == 0, "a rollback moves every request back at once")
        let (again, refusal) = await post("/control/v1/canaries/sonnet-next/advance", #"{"reason":"x"}"#)
        #expect(again == 409 && refusal.contains("rolled back"), "\(refusal)")
        let (resumed, _) = await post("/control/v1/canaries/sonnet-next/resume", #"{"reason":"fixed"}"#)
        #expect(resumed == 200)
        #expect(await Self.send(harness, conversations: 0..<100).new > 0)
        let (unknown, _) = await post("/control/v1/canaries/nope/hold", #"{"reason":"x"}"#)
        #expect(unknown == 404)
        let collector = ResponseCollector()
        harness.client.submit(
            UpstreamRequest(
                method: "GET", url: admin + "/control/v1/status",
                headers: ["authorization": "Bearer \(Self.token)"]), delegate: collector)
        let document = await collector.result().text
        #expect(
            document.contains(#""canaries":[{"#) && document.contains(#""name":"sonnet-next""#)
                && document.contains(#""sides":{"new":{"attempts":"#), "\(document.prefix(300))")

        let (started, startText) = await post(
            "/control/v1/canaries",
            """
            {"name":"version-move","from":{"anthropic_version":"2023-06-01"},"to":{"anthropic_version":"2023-06-01"},
             "steps":["50%","100%"],"min_step_time":"5m","reason":"try it"}
            """)
        #expect(started == 200 && startText.contains(#""origin":"operator:api""#), "\(startText)")
        let (duplicate, _) = await post("/control/v1/canaries", #"{"name":"version-move","from":{"model":"a"},"to":{"model":"b"},"reason":"x"}"#)
        #expect(duplicate == 409)
        let (invalid, invalidText) = await post("/control/v1/canaries", #"{"name":"x","from":{"model":"a"},"to":{"model":"b"},"steps":[0.5,0.2],"reason":"x"}"#)
        #expect(invalid == 400 && invalidText.contains("steps must rise"), "\(invalidText)")
    }

    @Test func theShippedRulesRollBackANewModelThatFailsFivePercent() async throws {
        let simulator = try Self.simulator(failingModel: "claude-sonnet-4-6")
        defer { simulator.stop() }
        let directory = try TemporaryDirectory("ballast-canary")
        defer { directory.remove() }
        let harness = try Self.harness(
            simulator: simulator, directory: directory, clock: SystemClock(),
            canaries: """
                  - name: sonnet-next
                    from: { model: claude-sonnet-4-5 }
                    to: { model: claude-sonnet-4-6 }
                    steps: [50%, 100%]
                    min_step_time: 10m
                """, rules: [GatewayHarness.shippedRules])
        defer { harness.stop() }
        let url = harness.baseURL + "/v1/messages"
        let plan = LoadPlan(rate: 60, duration: 14, drainTimeout: 10, seed: 5) { index, _ in
            UpstreamRequest(
                url: url,
                headers: [
                    "content-type": "application/json", "x-api-key": "k",
                    "x-ballast-conversation": "conversation-\(index)",
                ],
                body: Array(#"{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi \#(index)"}]}"#.utf8))
        }
        let report = await LoadGenerator(client: harness.client).run(plan)
        harness.gateway.flushTelemetry()
        let metrics = await harness.get("http://\(harness.gateway.adminAddress)/metrics").text

        let store = try TelemetryStore(path: directory.path("ballast.db"))
        let rollback = try store.scalar("SELECT actor || ' | ' || reason FROM audit WHERE kind = 'canary_changed' AND action = 'rollback'") ?? ""
        #expect(rollback.hasPrefix("rule:canary-errors"), "the rule must roll the canary back: \(rollback)")
        #expect(rollback.contains("error_ratio{canary=\"new\"}[1m]="), "the audit gives the values: \(rollback)")
        let firedAt = Double(try store.scalar("SELECT min(time) FROM audit WHERE kind = 'rule_fired' AND target LIKE 'canary=%'") ?? "") ?? 0
        let rolledAt = Double(try store.scalar("SELECT min(time) FROM audit WHERE kind = 'canary_changed' AND action = 'rollback'") ?? "") ?? 0
        #expect(firedAt > 0 && rolledAt - firedAt < 2, "the rollback follows the rule's firing at once")
        #expect(
            !metrics.contains(#"ballast_canary_requests_total{canary="sonnet-next",side="old",class="upstream"}"#),
            "clients on the old side see no errors")
        #expect(metrics.contains(#"ballast_canary_share{canary="sonnet-next"} 0"#))
        #expect(metrics.contains(#"ballast_canary_phase{canary="sonnet-next",phase="rolled_back"} 1"#))
        #expect(report.failed <= 2, "retries hide most of the new side's failures from clients: \(report.failedByStatus)")
    }
}
