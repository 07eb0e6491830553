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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot + "/rules/prometheus")
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
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
