import BallastCore
import CommandLineSupport
import ControlModels
import Foundation
import Upstream

/// A small client of the control API for the operator commands: one call, a typed document
/// back, and the server's error message (status and text) as the command's error.
struct ControlClient: Sendable {
    let baseURL: String
    let token: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// An answer: its bytes, read into a document by `decode`.
    struct Reply {
        var method: String
        var path: String
        var body: [UInt8]

        /// The answer as `Document`; an answer of another shape (a different Ballast version,
        /// something else listening) fails with the field that did not fit, never a crash.
        func decode<Document: Decodable>(_ type: Document.Type) throws -> Document {
            do {
                return try ControlCoding.decode(type, from: body)
            } catch {
                throw Failure(description: "the answer to \(method) \(path) is not what this ballast expects: \(error)")
            }
        }

        /// The answer as `Document`, indented for `--json`.
        func pretty<Document: Codable>(_ type: Document.Type) throws -> String {
            try ControlCoding.pretty(decode(type))
        }
    }

    /// Calls `method path` with an optional JSON body. Any status other than 2xx becomes a
    /// `Failure` carrying the server's message.
    func call(_ method: String, _ path: String, body: (any Encodable)? = nil) throws -> Reply {
        var headers: HTTPHeaders = ["authorization": "Bearer \(token)", "accept": "application/json"]
        var bytes: [UInt8] = []
        if let body {
            headers.set("content-type", "application/json")
            bytes = Array(try ControlCoding.encode(body).utf8)
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
        guard (200..<300).contains(head.status) else {
            let message = (try? ControlCoding.decode(ControlErrorDocument.self, from: result.body))?.error.message ?? result.text
            throw Failure(description: "\(head.status): \(message)")
        }
        return Reply(method: method, path: path, body: result.body)
    }
}
