import BallastCore
import CommandLineSupport
import Foundation
import Upstream

/// A small client of the control API for the operator commands: one call, JSON back, and
/// the server's error message (status and text) as the command's error.
struct ControlClient: Sendable {
    let baseURL: String
    let token: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Calls `method path` with an optional JSON body; returns the decoded JSON document and
    /// its text. Any status other than 2xx becomes a `Failure` carrying the server's message.
    func call(_ method: String, _ path: String, body: [String: Any]? = nil) throws -> (document: [String: Any], text: String) {
        var headers: HTTPHeaders = ["authorization": "Bearer \(token)", "accept": "application/json"]
        var bytes: [UInt8] = []
        if let body {
            headers.set("content-type", "application/json")
            bytes = Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
        }
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { headers.set("x-ballast-operator", user) }
        let request = UpstreamRequest(method: method, url: baseURL + path, headers: headers, body: bytes)
        let url = baseURL
        let result = try runBlocking { () async -> UpstreamFetchResult in
            let client = UpstreamClient()
            client.start()
            defer { client.shutdown() }
            return await client.fetch(request)
        }
        guard let head = result.head else {
            throw Failure(description: "cannot reach the admin listener at \(url): \(result.completion.error.map { "\($0)" } ?? "no response")")
        }
        let document = (try? JSONSerialization.jsonObject(with: Data(result.body)) as? [String: Any]) ?? [:]
        guard (200..<300).contains(head.status) else {
            let message = (document["error"] as? [String: Any])?["message"] as? String ?? result.text
            throw Failure(description: "\(head.status): \(message)")
        }
        return (document, result.text)
    }

    /// Pretty JSON for `--json`.
    static func pretty(_ text: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        else { return text }
        return String(decoding: data, as: UTF8.self)
    }
}
