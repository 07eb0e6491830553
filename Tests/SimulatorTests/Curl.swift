import BallastTesting
import Foundation

/// What one `curl` run gave back.
struct CurlResult {
    var exitCode: Int32
    var status: Int
    var headers: [String: String]
    var body: String
    /// The `-w` output, when one was asked for.
    var writeOut: String

    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// A real HTTP client for the simulator tests: the `curl` command line, so a dropped
/// connection shows as curl's own exit code 52 ("empty reply from server").
enum Curl {
    static func request(
        _ url: String, method: String = "POST", json: String? = nil, headers: [String: String] = [:],
        extra: [String] = [], writeOut: String? = nil
    ) throws -> CurlResult {
        let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("sim-curl-\(UUID().uuidString).h")
        defer { try? FileManager.default.removeItem(at: headerFile) }
        var arguments = ["-sS", "-X", method, "-D", headerFile.path, "-H", "Expect:", "--max-time", "30"]
        if let json {
            arguments += ["-H", "content-type: application/json", "--data-binary", json]
        }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { arguments += ["-H", "\(name): \(value)"] }
        if let writeOut { arguments += ["-w", "\n@@WRITEOUT@@" + writeOut] }
        arguments += extra
        arguments.append(url)

        let outcome = try ChildProcess.run("/usr/bin/curl", arguments)
        var body = outcome.outputText
        var written = ""
        if writeOut != nil, let marker = body.range(of: "\n@@WRITEOUT@@", options: .backwards) {
            written = String(body[marker.upperBound...])
            body = String(body[..<marker.lowerBound])
        }
        let headText = (try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""
        var status = 0
        var fields: [String: String] = [:]
        for line in headText.components(separatedBy: "\r\n") {
            if line.hasPrefix("HTTP/") {
                status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
                fields = [:]
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                fields[name] = value
            }
        }
        return CurlResult(
            exitCode: outcome.ending.status ?? -1, status: status, headers: fields, body: body,
            writeOut: written)
    }

    static func get(_ url: String) throws -> CurlResult {
        try request(url, method: "GET")
    }
}
