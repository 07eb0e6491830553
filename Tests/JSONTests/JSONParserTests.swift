import Cache
import Testing
@testable import JSON

@Suite("JSON parser and canonical form")
struct JSONParserTests {
    private func canonical(_ text: String) throws -> String {
        String(decoding: try JSONParser.parse(text).canonicalBytes(), as: UTF8.self)
    }

    @Test("canonical form sorts members, drops whitespace and normalises numbers")
    func canonicalForm() throws {
        #expect(
            try canonical(#" { "b" : [1, 2.50, {"z":null,"a":true}], "a" : "x\u00e9\n" } "#)
                == #"{"a":"xé\n","b":[1,2.5,{"a":true,"z":null}]}"#)
        #expect(
            try canonical("[0.0, -0, 0e0, 1.0, 1E2, 1.5e-3, 12345678901234567890]")
                == "[0,0,0,1,100,0.0015,12345678901234567890]")
        #expect(try canonical(#"{"k":"\u0001\"\\\/"}"#) == #"{"k":"\u0001\"\\/"}"#)
    }

    @Test("serialized keeps member order and number spelling")
    func compactForm() throws {
        let value = try JSONParser.parse(#"{ "z": 1.50, "a": [ true, null ], "m": "\ud83d\ude00" }"#)
        #expect(value.serializedString() == #"{"z":1.50,"a":[true,null],"m":"😀"}"#)
    }

    @Test("equality ignores member order and number spelling, not values")
    func equality() throws {
        #expect(try JSONParser.parse(#"{"a":1,"b":[1.0,"x"]}"#) == JSONParser.parse(#"{"b":[1,"x"],"a":1.00}"#))
        #expect(try JSONParser.parse(#"{"a":1}"#) != JSONParser.parse(#"{"a":2}"#))
        #expect(try JSONParser.parse(#"{"a":1}"#) != JSONParser.parse(#"{"a":1,"b":1}"#))
        #expect(try JSONParser.parse(#"["a","b"]"#) != JSONParser.parse(#"["b","a"]"#))
    }

    @Test(
        "rejects what is not strict JSON",
        arguments: [
            "", "{", #"{"a":1,}"#, "[1,]", "01", "1.", ".5", "+1", "-", "1e", "tru", "nul", #"{"a" 1}"#, "{a:1}",
            #""\ud800""#, #""\udc00x""#, #""\x""#, "\"tab\there\"", "[1] 2", "'a'", "NaN",
        ])
    func rejects(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test("rejects invalid UTF-8 and too deep nesting")
    func rejectsBytes() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect((try? JSONParser.parse(fine)) != nil)
    }

    @Test("accessors and edits")
    func accessors() throws {
        var value = try JSONParser.parse(#"{"n":3,"s":"x","a":[1],"o":{"k":null}}"#)
        #expect(value["n"]?.intValue == 3)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["a"]?.arrayValue?.count == 1)
        #expect(value["o"]?["k"]?.isNull == true)
        value.set("s", .string("y"))
        value.set("new", .bool(false))
        value.remove("a")
        #expect(value.serializedString() == #"{"n":3,"s":"y","o":{"k":null},"new":false}"#)
    }

    /// The one rule for repeated member names: refused at any depth, so the parser, the
    /// scanner's body check and the upstream can never read one body differently.
    @Test("a repeated member name is refused at any depth")
    func repeatedNames() {
        for text in [#"{"model":"a","model":"b"}"#, #"{"m":{"k":1,"k":1}}"#, #"[{"x":1},{"y":{"z":0,"z":0}}]"#] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONParser.parse(text) }
        }
        #expect((try? JSONParser.parse(#"{"a":{"k":1},"b":{"k":1}}"#)) != nil, "the same name in two objects is fine")
    }
}
