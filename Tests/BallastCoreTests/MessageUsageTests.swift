import BallastCore
import Testing

struct MessageUsageTests {
    @Test func readsTheTopLevelUsageNotAToolInputsKey() {
        // The tool_use block comes first and carries an `input_tokens` key of its own: the old
        // first-match scan read 999 from it.
        let body = Array(
            #"""
            {"id":"msg_1","type":"message","content":[{"type":"tool_use","id":"t","name":"count","input":{"input_tokens":999,"output_tokens":888,"note":"\"usage\":{}"}}],
             "usage" : {"input_tokens": 25, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 2000, "output_tokens": 7,
                        "server_tool_use": {"web_search_requests": 2}, "cache_creation": {"ephemeral_5m_input_tokens": 100}, "service_tier": "standard"}}
            """#.utf8)
        #expect(
            MessageUsage.fromMessageBody(body)
                == MessageUsage(
                    inputTokens: 25, outputTokens: 7, cacheCreationInputTokens: 100,
                    cacheReadInputTokens: 2000, webSearchRequests: 2))
    }

    @Test func streamUsageIsCompleteOnlyAfterTheFinalDelta() {
        var usage = MessageUsage.unknown
        usage.apply(
            SSEEvent(
                name: "message_start",
                data:
                    #"{"type":"message_start","message":{"id":"m","content":[],"usage":{"input_tokens":12,"cache_creation_input_tokens":null,"cache_read_input_tokens":300,"output_tokens":1}}}"#
            ))
        #expect(usage.state == .partial)
        #expect(usage.inputTokens == 12 && usage.cacheReadInputTokens == 300 && !usage.isKnown)
        usage.apply(SSEEvent(name: "content_block_delta", data: #"{"delta":{"text":"\"usage\":{\"output_tokens\":5}"}}"#))
        usage.apply(
            SSEEvent(
                name: "message_delta",
                data: #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":40,"server_tool_use":{"web_fetch_requests":1}}}"#))
        #expect(usage == MessageUsage(inputTokens: 12, outputTokens: 40, cacheReadInputTokens: 300, webFetchRequests: 1))
    }

    @Test func badUsageIsUnknownNotZero() {
        let cases: [String] = [
            #"{"id":"m","content":[]}"#,  // no usage
            #"{"usage":{"input_tokens":-3,"output_tokens":2}}"#,  // negative
            #"{"usage":{"input_tokens":"12","output_tokens":2}}"#,  // a string
            #"{"usage":{"input_tokens":1.5,"output_tokens":2}}"#,  // fractional
            #"{"usage":{"input_tokens":10}}"#,  // no output count
            #"{"usage":{"input_tokens":10,"output_tokens":99999999999999999}}"#,  // absurd
            #"{"usage":{"input_tokens":10,"output_tokens":2"#,  // cut
            #"not json"#,
        ]
        for text in cases {
            let usage = MessageUsage.fromMessageBody(Array(text.utf8))
            #expect(!usage.isKnown, "\(text)")
        }
        var cut = MessageUsage.unknown
        cut.apply(SSEEvent(name: "message_start", data: #"{"message":{"usage":{"input_tokens":12,"output_tokens":1}}}"#))
        #expect(cut.state == .partial)
        var invalid = MessageUsage.unknown
        invalid.apply(SSEEvent(name: "message_start", data: #"{"message":{"usage":{"input_tokens":12,"output_tokens":1}}}"#))
        invalid.apply(SSEEvent(name: "message_delta", data: #"{"usage":{"output_tokens":"many"}}"#))
        #expect(invalid.state == .invalid)
    }

    @Test func deepNestingEndsTheWalkWithoutCrashing() {
        let deep =
            "{\"content\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            + ",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}"
        #expect(!MessageUsage.fromMessageBody(Array(deep.utf8)).isKnown)
    }
}
