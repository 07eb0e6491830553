import BallastTesting
import Foundation
import Testing

/// The Prometheus alerting rules shipped for operators pass `promtool check rules` and
/// `promtool test rules`. promtool is a requirement of the suite (`make deps` installs
/// Debian's prometheus package, which ships it; the e2e dashboard tests need it too): a
/// machine without it fails here with that message rather than skipping the check silently.
@Suite struct PrometheusRulesTests {
    /// Where Debian's prometheus package installs promtool, else the first on PATH.
    static var promtoolPath: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return (["/usr/bin"] + path.split(separator: ":").map(String.init))
            .map { $0 + "/promtool" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func promtool(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let promtool = try #require(
            Self.promtoolPath,
            "promtool is not installed; `make deps` installs Debian's prometheus package, which ships it")
        let outcome = try ChildProcess.run(promtool, arguments, directory: repositoryRoot + "/rules/prometheus", errors: .sameAsOutput)
        return (outcome.ending.status ?? -1, outcome.outputText)
    }

    @Test func checkRules() throws {
        let result = try promtool(["check", "rules", "ballast-alerts.yml"])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func testRules() throws {
        let result = try promtool(["test", "rules", "ballast-alerts.test.yml"])
        #expect(result.status == 0, "\(result.output)")
    }
}
