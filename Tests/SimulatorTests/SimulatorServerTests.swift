import BallastTesting
import Foundation
import Testing
@testable import BallastSimulator

/// The simulator over real sockets, with `curl` as the client.
@Suite struct SimulatorServerTests {
    @Test func answersAMessage() throws {
        let simulator = try startSimulator()
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "primary"))
        #expect(region.port != 0)
        #expect(region.baseURL == "http://127.0.0.1:\(region.port)")

        let result = try Curl.request(region.baseURL + "/v1/messages", json: messagesBody())
        #expect(result.exitCode == 0)
        #expect(result.status == 200)
        #expect(result.header("content-type") == "application/json")
        #expect(result.header("request-id")?.hasPrefix("req_") == true)
        let object = try #require(jsonObject(result.body))
        #expect((object["id"] as? String)?.hasPrefix("msg_") == true)
        #expect(object["type"] as? String == "message")
        #expect(object["role"] as? String == "assistant")
        #expect(object["model"] as? String == "claude-sonnet-4-5")
        #expect(object["stop_reason"] as? String == "end_turn")
        #expect(object.keys.contains("stop_sequence"))
        let content = try #require(object["content"] as? [[String: Any]])
        #expect(content.count == 1)
        #expect(content[0]["type"] as? String == "text")
        let text = try #require(content[0]["text"] as? String)
        let usage = try #require(object["usage"] as? [String: Any])
        let outputTokens = try #require(usage["output_tokens"] as? Int)
        #expect((10...60).contains(outputTokens))
        #expect(text.split(separator: " ").count == outputTokens)
        #expect(usage["input_tokens"] as? Int == 4)  // "Hello, simulator": 16 characters

        // The same request gets the same text again.
        let again = try Curl.request(region.baseURL + "/v1/messages", json: messagesBody())
        let againContent = try #require(jsonObject(again.body)?["content"] as? [[String: Any]])
        #expect(againContent[0]["text"] as? String == text)
        #expect(region.stats.requestsReceived == 2)
        #expect(region.stats.responses(status: 200) == 2)
    }

    @Test func streamsTheRealEventSequence() throws {
        let simulator = try startSimulator(SimulatedRegionConfig(output: OutputModel(minTokens: 5, maxTokens: 40, tokensPerDelta: 2)))
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "primary"))
        let prompt = "Explain circuit breakers"
        let streamed = try Curl.request(
            region.baseURL + "/v1/messages", json: messagesBody(prompt, stream: true),
            headers: ["x-sim-token-interval-ms": "1"])
        #expect(streamed.exitCode == 0)
        #expect(streamed.status == 200)
        #expect(streamed.header("content-type") == "text/event-stream; charset=utf-8")
        let events = parseSSE(streamed.body)
        let names = events.map(\.name)
        #expect(Array(names.prefix(3)) == ["message_start", "content_block_start", "ping"])
        #expect(Array(names.suffix(3)) == ["content_block_stop", "message_delta", "message_stop"])
        let deltas = events.filter { $0.name == "content_block_delta" }
        #expect(deltas.count == names.count - 6)
        #expect(deltas.allSatisfy { ($0.data["delta"] as? [String: Any])?["type"] as? String == "text_delta" })
        let start = try #require(events.first?.data["message"] as? [String: Any])
        #expect((start["id"] as? String)?.hasPrefix("msg_") == true)
        #expect(start["stop_reason"] is NSNull)
        let reassembled = deltas.compactMap { ($0.data["delta"] as? [String: Any])?["text"] as? String }.joined()
        let messageDelta = try #require(events.first { $0.name == "message_delta" })
        let streamedTokens = (messageDelta.data["usage"] as? [String: Any])?["output_tokens"] as? Int
        #expect((messageDelta.data["delta"] as? [String: Any])?["stop_reason"] as? String == "end_turn")
        // The raw wire format, byte for byte, for one event.
        #expect(streamed.body.hasPrefix("event: message_start\ndata: {\"type\":\"message_start\""))
        #expect(streamed.body.contains("event: ping\ndata: {\"type\": \"ping\"}\n\n"))
        #expect(streamed.body.hasSuffix("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))

        let whole = try Curl.request(region.baseURL + "/v1/messages", json: messagesBody(prompt))
        let object = try #require(jsonObject(whole.body))
        let text = try #require((object["content"] as? [[String: Any]])?.first?["text"] as? String)
        #expect(reassembled == text)
        #expect(streamedTokens == (object["usage"] as? [String: Any])?["output_tokens"] as? Int)
        #expect(eventually { region.stats.streamsCompleted == 1 && region.stats.streamsActive == 0 })
    }

    @Test func countsTokens() throws {
        let simulator = try startSimulator()
        defer { simulator.stop() }
        let url = try #require(simulator.region(named: "primary")).baseURL + "/v1/messages/count_tokens"
        let body = #"{"model":"claude-sonnet-4-5","system":"You are terse.","messages":[{"role":"user","content":"Count these words for me please"}]}"#
        let result = try Curl.request(url, json: body)
        #expect(result.status == 200)
        #expect(result.body == #"{"input_tokens":12}"#)  // 14 + 31 characters
        let invalid = try Curl.request(url, json: #"{"messages":[]}"#)
        #expect(invalid.status == 400)
    }

    @Test func rejectsInvalidRequests() throws {
        let simulator = try startSimulator()
        defer { simulator.stop() }
        let url = try #require(simulator.region(named: "primary")).baseURL + "/v1/messages"
        let cases: [(String, String)] = [
            ("{not json", "not valid JSON"),
            (#"{"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#, "model: Field required"),
            (#"{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}"#, "max_tokens: Input should be greater than or equal to 1"),
            (#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#, "max_tokens: Field required"),
            (#"{"model":"m","max_tokens":5,"messages":[]}"#, "messages: at least one message is required"),
        ]
        for (body, message) in cases {
            let result = try Curl.request(url, json: body)
            #expect(result.status == 400, "\(body)")
            let error = jsonObject(result.body)?["error"] as? [String: Any]
            #expect(jsonObject(result.body)?["type"] as? String == "error")
            #expect(error?["type"] as? String == "invalid_request_error")
            #expect((error?["message"] as? String)?.contains(message) == true, "\(result.body)")
            #expect(result.header("request-id") != nil)
        }
        let unknown = try Curl.request(try #require(simulator.region(named: "primary")).baseURL + "/v1/complete", json: "{}")
        #expect(unknown.status == 404)
        #expect(unknown.body.contains("not_found_error"))
        let badHeader = try Curl.request(url, json: messagesBody(), headers: ["x-sim-fault": "teapot"])
        #expect(badHeader.status == 400)
    }

    @Test func checksTheAPIKey() throws {
        let simulator = try startSimulator(SimulatedRegionConfig(apiKey: "sim-key"))
        defer { simulator.stop() }
        let url = try #require(simulator.region(named: "primary")).baseURL + "/v1/messages"
        let missing = try Curl.request(url, json: messagesBody())
        #expect(missing.status == 401)
        #expect(missing.body.contains("authentication_error"))
        #expect(try Curl.request(url, json: messagesBody(), headers: ["x-api-key": "wrong"]).status == 401)
        #expect(try Curl.request(url, json: messagesBody(), headers: ["x-api-key": "sim-key"]).status == 200)
        #expect(try Curl.request(url, json: messagesBody(), headers: ["authorization": "Bearer sim-key"]).status == 200)
    }

    @Test func forcedRateLimitCarriesRetryAfter() throws {
        let faults = FaultSettings(rateLimit: RateLimitSettings(requestsPerSecond: 0.5, burst: 2, tokensPerMinute: 100_000))
        let simulator = try startSimulator(SimulatedRegionConfig(faults: faults))
        defer { simulator.stop() }
        let url = try #require(simulator.region(named: "primary")).baseURL + "/v1/messages"

        let forced = try Curl.request(url, json: messagesBody(), headers: ["x-sim-fault": "429"])
        #expect(forced.status == 429)
        #expect(forced.header("retry-after") == "1")
        #expect(forced.header("x-should-retry") == "true")
        #expect(jsonObject(forced.body)?["error"].flatMap { ($0 as? [String: Any])?["type"] as? String } == "rate_limit_error")

        let first = try Curl.request(url, json: messagesBody())
        #expect(first.status == 200)
        #expect(first.header("anthropic-ratelimit-requests-limit") == "30")
        #expect(first.header("anthropic-ratelimit-requests-remaining") == "1")
        #expect(first.header("anthropic-ratelimit-tokens-limit") == "100000")
        let reset = try #require(first.header("anthropic-ratelimit-requests-reset"))
        #expect(reset.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression) != nil)
        #expect(try Curl.request(url, json: messagesBody()).status == 200)
        // The bucket is empty: the next token comes in 2 s at 0.5 per second.
        let limited = try Curl.request(url, json: messagesBody())
        #expect(limited.status == 429)
        #expect(limited.header("retry-after") == "2")
        #expect(limited.header("anthropic-ratelimit-requests-remaining") == "0")
    }

    @Test func forcedErrors() throws {
        let simulator = try startSimulator()
        defer { simulator.stop() }
        let url = try #require(simulator.region(named: "primary")).baseURL + "/v1/messages"
        for (status, type) in [(500, "api_error"), (502, "api_error"), (503, "api_error"), (504, "timeout_error"), (529, "overloaded_error")] {
            let result = try Curl.request(url, json: messagesBody(), headers: ["x-sim-fault": String(status)])
            #expect(result.status == status)
            #expect(result.header("x-should-retry") == "true")
            #expect(result.body.contains("\"type\":\"\(type)\""))
        }
    }

    @Test func resetDropsTheConnection() throws {
        let simulator = try startSimulator()
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "primary"))
        let result = try Curl.request(region.baseURL + "/v1/messages", json: messagesBody(), headers: ["x-sim-fault": "reset"])
        #expect(result.exitCode == 52)
        #expect(result.status == 0)
        #expect(region.stats.resets == 1)
        // The server is fine afterwards.
        #expect(try Curl.request(region.baseURL + "/v1/messages", json: messagesBody()).status == 200)
    }

    @Test func streamErrorMidway() throws {
        let simulator = try startSimulator()
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "primary"))
        let result = try Curl.request(
            region.baseURL + "/v1/messages", json: messagesBody(stream: true),
            headers: ["x-sim-fault": "stream_error", "x-sim-output-tokens": "20"])
        #expect(result.status == 200)
        let names = parseSSE(result.body).map(\.name)
        #expect(names.first == "message_start")
        #expect(names.last == "error")
        #expect(names.filter { $0 == "content_block_delta" }.count == 10)
        #expect(!names.contains("message_stop"))
        #expect(result.body.contains(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#))
        #expect(eventually { region.stats.streamErrors == 1 })
    }

    @Test func controlEndpoints() throws {
        let simulator = try startSimulator()
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "primary"))
        let messages = region.baseURL + "/v1/messages"
        #expect(try Curl.request(messages, json: messagesBody()).status == 200)

        let outage = try Curl.request(region.baseURL + "/_sim/faults", method: "PUT", json: #"{"outage": true}"#)
        #expect(outage.status == 200)
        #expect(outage.body.contains(#""outage":true"#))
        #expect(region.faults.outage)
        #expect(try Curl.request(messages, json: messagesBody()).exitCode == 52)

        let bad = try Curl.request(region.baseURL + "/_sim/faults", method: "PUT", json: "{\n  \"reset_ratio\": 3\n}")
        #expect(bad.status == 400)
        #expect(bad.body.contains("PUT /_sim/faults:2:18"), "\(bad.body)")
        #expect(region.faults.outage)  // unchanged by a bad request

        let healed = try Curl.request(region.baseURL + "/_sim/faults", method: "PUT", json: #"{"error_ratio": {"529": 1}}"#)
        #expect(healed.status == 200)
        #expect(try Curl.request(messages, json: messagesBody()).status == 529)

        let stats = try Curl.get(region.baseURL + "/_sim/stats")
        #expect(stats.status == 200)
        let object = try #require(jsonObject(stats.body))
        #expect(object["requests_received"] as? Int == 3)
        #expect(object["resets"] as? Int == 1)
        #expect((object["responses_by_status"] as? [String: Any])?["200"] as? Int == 1)
        #expect((object["responses_by_status"] as? [String: Any])?["529"] as? Int == 1)
        #expect((object["bytes_sent"] as? Int ?? 0) > 0)

        region.setFaults(FaultSettings())
        #expect(try Curl.request(messages, json: messagesBody()).status == 200)
    }
}
