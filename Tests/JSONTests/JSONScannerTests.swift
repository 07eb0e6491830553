import BallastCore
import Testing
@testable import JSON

@Suite struct JSONScannerTests {
    @Test func picksTopLevelFieldsOnly() throws {
        let body = Array(
            #"{"model":"claude-x","stream":true,"max_tokens":100,"messages":[{"role":"user","content":"the \"model\": no","stream":false}],"metadata":{"model":"inner"}}"#
                .utf8)
        let top = try JSONScanner.scanObject(body, fields: ["model", "stream", "max_tokens"])
        #expect(top.strings["model"] == "claude-x")
        #expect(top.booleans["stream"] == true)
        #expect(top.numbers["max_tokens"] == "100")
    }

    @Test func decodesEscapesInCapturedStrings() throws {
        let top = try JSONScanner.scanObject(Array(#"{"model":"a\"b\\c\u00e9\n"}"#.utf8), fields: ["model"])
        #expect(top.strings["model"] == "a\"b\\cé\n")
    }

    @Test(arguments: [
        "", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":tru}",
        "{\"a\":\"x}", "{\"a\":\"\u{01}\"}", "{\"a\":1} x", "{\"a\":[1,2}", "{'a':1}", "{\"a\":\"\\q\"}",
    ])
    func rejectsMalformedDocuments(text: String) {
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.scanObject(Array(text.utf8), fields: []) }
    }

    @Test(arguments: [
        "{}", " {\"a\" : [ ] } ", "{\"a\":-0.5e+10,\"b\":[true,false,null,{\"c\":\"\\u20AC\"}]}", "{\"a\":\"\\/\"}",
    ])
    func acceptsWellFormedDocuments(text: String) throws {
        _ = try JSONScanner.scanObject(Array(text.utf8), fields: ["a"])
    }

    @Test func refusesExcessiveNesting() {
        let deep = "{\"a\":" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}"
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.scanObject(Array(deep.utf8), fields: []) }
    }
}
