import BallastConfig
import Foundation
import Testing

@Suite struct GatewayConfigLoadTests {
    /// A fresh directory under the system temporary directory, removed by the caller.
    private func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func loadResolvesPathsAgainstTheFilesDirectory() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/ballast.yaml"
        try """
        store: { path: state/ballast.db }
        upstream:
          auth: { mode: static, api_key_file: ./key }
          regions: [{ name: a, base_url: "https://a.example.com" }]
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let config = try GatewayConfig.load(path: file)
        #expect(config.store.path == directory + "/state/ballast.db")
        #expect(config.upstream.auth.apiKeyFile == directory + "/key")
        #expect(config.rules.paths == [directory + "/rules/*.yaml"])
    }

    @Test func loadReportsErrorsWithTheFilePath() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/ballast.yaml"
        try "listen: nowhere\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try GatewayConfig.load(path: file)
            Issue.record("expected an error")
        } catch {
            #expect(
                error.issues.map(\.location) == [
                    SourceLocation(file: file, line: 1, column: 1),
                    SourceLocation(file: file, line: 1, column: 9),
                ])
            let lines = error.description.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.first?.hasPrefix("\(file):1:1: the config needs 'upstream.regions'") == true)
            #expect(lines.last?.hasPrefix("\(file):1:9: 'listen' must be host:port") == true)
        }
    }

    @Test func missingFileIsReportedAtLineOne() {
        let path = "/nonexistent-ballast-dir/ballast.yaml"
        do {
            _ = try GatewayConfig.load(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.issues.count == 1)
            #expect(error.issues.first?.location == SourceLocation(file: path, line: 1, column: 1))
            #expect(error.description == "\(path):1:1: cannot open file: No such file or directory")
        }
    }

    @Test func directoryIsNotAConfigFile() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            _ = try GatewayConfig.load(path: directory)
            Issue.record("expected an error")
        } catch {
            #expect(error.issues.count == 1)
            #expect(error.issues.first?.location == SourceLocation(file: directory, line: 1, column: 1))
            #expect(error.issues.first?.message == "not a regular file (a directory)")
        }
    }
}
