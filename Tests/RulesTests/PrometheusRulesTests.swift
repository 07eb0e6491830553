import Foundation
import Testing

/// Where Debian's prometheus package installs promtool.
let promtoolPath = "/usr/bin/promtool"

/// The Prometheus alerting rules shipped for operators pass `promtool check rules` and
/// `promtool test rules` (skipped where promtool is not installed).
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: promtoolPath)))
struct PrometheusRulesTests {
    static let promtool = promtoolPath

    func promtool(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.promtool)
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
