import Crypto
import BallastCore
import Cache
import Testing
@testable import JSON

@Suite("Cache key")
struct CacheKeyTests {
    private let headers: HTTPHeaders = ["anthropic-version": "2023-06-01", "content-type": "application/json"]
    private let body = #"{"model":"claude-sonnet-4-5","max_tokens":256,"temperature":0,"messages":[{"role":"user","content":"Hi"}]}"#

    private func key(
        _ body: String, credential: String = "sk-ant-key-one", path: String = "/v1/messages",
        headers: HTTPHeaders? = nil
    ) throws -> CacheKey {
        try CacheKey(credential: credential, path: path, body: Array(body.utf8), headers: headers ?? self.headers)
    }

    @Test("member order, whitespace and number spelling do not change the key")
    func formattingDoesNotMatter() throws {
        let reordered = """
            {
              "messages": [ { "content": "Hi", "role": "user" } ],
              "temperature": 0.0,
              "max_tokens": 256,
              "model": "claude-sonnet-4-5"
            }
            """
        #expect(try key(body) == key(reordered))
        #expect(try key(body).hex.count == 64)
    }

    @Test("stream and metadata do not change the key")
    func streamAndMetadataDropped() throws {
        let streamed =
            #"{"stream":true,"model":"claude-sonnet-4-5","max_tokens":256,"temperature":0,"#
            + #""metadata":{"user_id":"u-42"},"messages":[{"role":"user","content":"Hi"}]}"#
        #expect(try key(body) == key(streamed))
    }

    @Test("a different credential gives a different key and fingerprint")
    func credentialMatters() throws {
        let one = try key(body, credential: "sk-ant-key-one")
        let two = try key(body, credential: "sk-ant-key-two")
        #expect(one.hex != two.hex)
        #expect(one.fingerprint != two.fingerprint)
        #expect(one.fingerprint == CacheKey.fingerprint(credential: "sk-ant-key-one"))
        // Neither the credential nor a plain hash of it appears anywhere in the key.
        #expect(!one.hex.contains("key-one") && !one.description.contains("key-one"))
        #expect(one.fingerprint != Hex.encode(Digest.sha256("sk-ant-key-one")))
    }

    @Test(
        "model, messages, max_tokens, temperature, system and tools change the key",
        arguments: [
            #"{"model":"claude-opus-4-1","max_tokens":256,"temperature":0,"messages":[{"role":"user","content":"Hi"}]}"#,
            #"{"model":"claude-sonnet-4-5","max_tokens":257,"temperature":0,"messages":[{"role":"user","content":"Hi"}]}"#,
            #"{"model":"claude-sonnet-4-5","max_tokens":256,"temperature":0.5,"messages":[{"role":"user","content":"Hi"}]}"#,
            #"{"model":"claude-sonnet-4-5","max_tokens":256,"temperature":0,"messages":[{"role":"user","content":"Hi!"}]}"#,
            #"{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Hi"}]}"#,
            #"{"model":"claude-sonnet-4-5","max_tokens":256,"temperature":0,"system":"Be brief","messages":[{"role":"user","content":"Hi"}]}"#,
            #"{"model":"claude-sonnet-4-5","max_tokens":256,"temperature":0,"tools":[],"messages":[{"role":"user","content":"Hi"}]}"#,
        ])
    func contentMatters(other: String) throws {
        #expect(try key(body) != key(other))
    }

    @Test("path, anthropic-version and anthropic-beta change the key; beta order does not")
    func headersMatter() throws {
        let base = try key(body)
        #expect(try key(body, path: "/v1/messages/count_tokens") != base)
        #expect(try key(body, headers: ["anthropic-version": "2024-01-01"]) != base)
        #expect(try key(body, headers: [:]) != base)
        let beta = try key(body, headers: ["anthropic-version": "2023-06-01", "anthropic-beta": "a-2025,b-2025"])
        #expect(beta != base)
        #expect(try key(body, headers: ["anthropic-version": "2023-06-01", "anthropic-beta": " b-2025 , a-2025"]) == beta)
        var split = HTTPHeaders()
        split.add("anthropic-version", "2023-06-01")
        split.add("anthropic-beta", "b-2025")
        split.add("Anthropic-Beta", "a-2025")
        #expect(try key(body, headers: split) == beta)
        // Headers that do not change the answer do not change the key.
        #expect(try key(body, headers: ["anthropic-version": "2023-06-01", "x-request-id": "r1", "user-agent": "sdk"]) == base)
    }

    @Test("a body that is not a JSON object has no key")
    func invalidBody() {
        #expect(throws: JSONParseError.self) { try key("[1,2]") }
        #expect(throws: JSONParseError.self) { try key(#"{"model":"x",}"#) }
    }

    @Test("usable as a dictionary / SingleFlight key")
    func hashable() throws {
        var seen: [CacheKey: Int] = [:]
        seen[try key(body), default: 0] += 1
        seen[try key(body + " "), default: 0] += 1
        seen[try key(body, credential: "other"), default: 0] += 1
        #expect(seen.count == 2)
    }
}
