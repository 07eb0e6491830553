@testable import BallastTesting
import Testing
@testable import BallastSimulator
@testable import JSON
import BallastCore

@Suite struct ReplyTextTests {
    func request(_ body: String) throws -> MessagesRequest {
        try MessagesRequest.parse(Array(body.utf8)).get()
    }

    @Test func sameContentGivesSameTextStreamedOrNot() throws {
        let plain = try request(messagesBody("Tell me about bulkheads"))
        let streamed = try request(messagesBody("Tell me about bulkheads", stream: true))
        #expect(plain.contentHash == streamed.contentHash)
        let a = ReplyPlan(request: plain, output: OutputModel())
        let b = ReplyPlan(request: streamed, output: OutputModel())
        #expect(a.text.full == b.text.full)
        #expect(a.outputTokens == b.outputTokens)
        // Deltas reassemble to the whole text.
        #expect((0..<b.text.deltaCount).map { b.text.delta($0) }.joined() == a.text.full)
    }

    @Test func textDependsOnModelMessagesAndMaxTokensOnly() throws {
        let base = try request(messagesBody("one"))
        #expect(try request(messagesBody("two")).contentHash != base.contentHash)
        #expect(try request(messagesBody("one", model: "claude-haiku-4-5")).contentHash != base.contentHash)
        #expect(try request(messagesBody("one", maxTokens: 99)).contentHash != base.contentHash)
        // Key order, spacing and unrelated fields do not matter.
        let reordered = try request(
            #"{ "messages" : [ {"content":"one","role":"user"} ], "temperature": 0.5,"#
                + #" "max_tokens": 1024, "model": "claude-sonnet-4-5" }"#)
        #expect(reordered.contentHash == base.contentHash)
    }

    @Test func lengthIsInRangeAndCappedByMaxTokens() throws {
        let output = OutputModel(minTokens: 10, maxTokens: 60, tokensPerDelta: 1)
        for index in 0..<200 {
            let plan = ReplyPlan(request: try request(messagesBody("prompt \(index)")), output: output)
            #expect((10...60).contains(plan.outputTokens))
            #expect(plan.stopReason == "end_turn")
            #expect(plan.text.full.split(separator: " ").count == plan.outputTokens)
        }
        let capped = ReplyPlan(request: try request(messagesBody("short", maxTokens: 5)), output: output)
        #expect(capped.outputTokens == 5)
        #expect(capped.stopReason == "max_tokens")
        let forced = ReplyPlan(request: try request(messagesBody("x", maxTokens: 500)), output: output, forcedTokens: 300)
        #expect(forced.outputTokens == 300)
        #expect(forced.stopReason == "end_turn")
    }

    @Test func tokensAreGroupedIntoDeltas() throws {
        let plan = ReplyPlan(
            request: try request(messagesBody("group")), output: OutputModel(minTokens: 7, maxTokens: 7, tokensPerDelta: 3),
            forcedTokens: nil)
        #expect(plan.text.deltaCount == 3)
        #expect(plan.text.delta(0).split(separator: " ").count == 3)
        #expect(plan.text.delta(2).split(separator: " ").count == 1)
    }

    @Test func paddedDeltasHaveTheRequestedSize() throws {
        let plan = ReplyPlan(
            request: try request(messagesBody("big", maxTokens: 100_000)), output: OutputModel(),
            forcedTokens: 1000, deltaBytes: 4096)
        #expect(plan.text.deltaCount == 1000)
        #expect((0..<1000).allSatisfy { plan.text.delta($0).utf8.count == 4096 })
        #expect(plan.text.full.utf8.count == 4096 * 1000)
    }
}

@Suite struct MessagesRequestTests {
    func error(_ body: String, countTokens: Bool = false) -> String? {
        if case .failure(let error) = MessagesRequest.parse(Array(body.utf8), requireMaxTokens: !countTokens) {
            #expect(error.type == .invalidRequest)
            #expect(error.status == 400)
            return error.message
        }
        return nil
    }

    @Test func validatesLikeTheRealAPI() {
        #expect(error("")?.contains("empty") == true)
        #expect(error(#"{"model": "m", "#)?.contains("not valid JSON") == true)
        #expect(error("[1]")?.contains("must be a JSON object") == true)
        #expect(error(#"{"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#) == "model: Field required")
        #expect(error(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#) == "max_tokens: Field required")
        #expect(
            error(#"{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}"#)
                == "max_tokens: Input should be greater than or equal to 1")
        #expect(
            error(#"{"model":"m","max_tokens":1.5,"messages":[{"role":"user","content":"hi"}]}"#)
                == "max_tokens: Input should be a valid integer")
        #expect(error(#"{"model":"m","max_tokens":10}"#) == "messages: Field required")
        #expect(error(#"{"model":"m","max_tokens":10,"messages":[]}"#) == "messages: at least one message is required")
        #expect(
            error(#"{"model":"m","max_tokens":10,"messages":[{"role":"robot","content":"hi"}]}"#)
                == "messages.0.role: Input should be 'user' or 'assistant'")
        #expect(error(#"{"model":"m","max_tokens":10,"messages":[{"role":"user"}]}"#) == "messages.0.content: Field required")
        #expect(
            error(#"{"model":"m","max_tokens":10,"stream":"yes","messages":[{"role":"user","content":"hi"}]}"#)
                == "stream: Input should be a valid boolean")
        // count_tokens takes no max_tokens.
        #expect(error(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#, countTokens: true) == nil)
    }

    @Test func estimatesInputTokensFromText() throws {
        let body =
            #"{"model":"m","max_tokens":10,"system":"12345678","#
            + #""messages":[{"role":"user","content":[{"type":"text","text":"abcdefgh"}]},"#
            + #"{"role":"assistant","content":"abcd"}]}"#
        let request = try MessagesRequest.parse(Array(body.utf8)).get()
        #expect(request.inputTokens == 5)  // 20 characters / 4
        let tiny = try MessagesRequest.parse(Array(messagesBody("").utf8)).get()
        #expect(tiny.inputTokens == 1)
    }
}

@Suite struct JSONParserTests {
    @Test func parsesValues() throws {
        let value = try JSONParser.parse(Array(#" {"a":[1,-2.5e3,true,false,null],"b":"x\"\\\/\n\u00e9\ud83d\ude00"} "#.utf8))
        #expect(value["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        #expect(value["b"] == .string("x\"\\/\né😀"))
    }

    @Test func rejectsInvalidInput() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "tru", "\"\\x\"", "\"a", "{} x", "\"\\ud800\"", "\"\u{01}\""] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONParser.parse(Array(text.utf8)) }
        }
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(deep.utf8)) }
    }
}
