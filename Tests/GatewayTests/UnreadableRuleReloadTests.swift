import Foundation
import Testing
import BallastCore
import BallastTesting
import Upstream

/// A reload of rule files that cannot be parsed or read leaves a running gateway serving with
/// its old rules, refused and audited like any broken reload. The deep cases crashed the
/// gateway with SIGSEGV before; the FIFO blocked the reload forever.
/// Serialized: its subprocesses (or gateways) one at a time, not a burst beside the timing-
/// sensitive suites on a loaded 2-core machine.
@Suite(.serialized) struct UnreadableRuleReloadTests {
    static let good = """
        groups:
          - name: g
            rules:
              - name: busy
                when: request_rate[1m] > 1000

        """

    enum Breakage: String, CaseIterable, CustomTestStringConvertible {
        case parentheses10000, notChain20000, flowBrackets20000, fifo, device

        var testDescription: String { rawValue }

        /// Replaces the rule file at `path`; returns the message the reload must report.
        func install(at path: String) throws -> String {
            func rule(_ when: String) -> String {
                "groups:\n  - name: g\n    rules:\n      - name: busy\n        when: \"\(when)\"\n"
            }
            try? FileManager.default.removeItem(atPath: path)
            switch self {
            case .parentheses10000:
                try rule(String(repeating: "(", count: 10_000) + "request_rate[1m] > 1" + String(repeating: ")", count: 10_000))
                    .write(toFile: path, atomically: true, encoding: .utf8)
                return "\(path):5:80: the expression nests deeper than 64 levels"
            case .notChain20000:
                try rule(String(repeating: "not ", count: 20_000) + "request_rate[1m] > 1").write(toFile: path, atomically: true, encoding: .utf8)
                return "\(path):5:272: the expression nests deeper than 64 levels"
            case .flowBrackets20000:
                try ("groups: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000))
                    .write(toFile: path, atomically: true, encoding: .utf8)
                return "\(path):1:264: nesting deeper than 256 levels"
            case .fifo:
                guard mkfifo(path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
                return "\(path):1:1: not a regular file (a FIFO)"
            case .device:
                try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
                return "\(path):1:1: not a regular file (a character device)"
            }
        }
    }

    @Test(arguments: Breakage.allCases)
    func aReloadThatCannotBeReadKeepsTheRunningRules(_ breakage: Breakage) async throws {
        let control = try ControlHarness(rules: Self.good)
        defer { control.stop() }
        let message = try breakage.install(at: control.directory.path("rules.yaml"))
        let refused = await control.call("POST", "/control/v1/rules/reload", body: #"{"reason":"hostile file"}"#)
        #expect(refused.status == 422, "\(refused.text.prefix(300))")
        #expect(refused.errorMessage.contains(message), "\(refused.errorMessage.prefix(300))")
        let rules = await control.call("GET", "/control/v1/rules")
        let list = rules.json["rules"] as? [[String: Any]]
        #expect(list?.first?["when"] as? String == "request_rate[1m] > 1000", "the running rules must stay")
        // The file watcher may refuse the same file too (its own entry, actor 'ballast').
        #expect(try control.auditRows("kind = 'rules_reloaded' AND action = 'refused' AND actor = 'operator:api'") == 1)
        // Still serving.
        let answer = await control.harness.post(
            body: #"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"#,
            headers: ["content-type": "application/json", "x-api-key": "k"])
        #expect(answer.head?.status == 200)
    }

    /// The file watcher's reload (every 2 s) goes the same way: the broken file dropped in
    /// place is refused, the gateway keeps its rules.
    @Test func theFileWatcherRefusesADeepFileToo() async throws {
        let control = try ControlHarness(rules: Self.good)
        defer { control.stop() }
        _ = try Breakage.notChain20000.install(at: control.directory.path("rules.yaml"))
        let deadline = Date().addingTimeInterval(30)
        var refusals = 0
        while refusals == 0, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            refusals = try control.auditRows("kind = 'rules_reloaded' AND action = 'refused' AND actor = 'ballast'")
        }
        #expect(refusals == 1, "the watcher never refused the file")
        let rules = await control.call("GET", "/control/v1/rules")
        #expect((rules.json["rules"] as? [[String: Any]])?.first?["when"] as? String == "request_rate[1m] > 1000")
    }
}
