import BallastCore
import Testing
@testable import JSON

@Suite struct JSONBodyCheckTests {
    static func check(_ text: String, depth: Int = 8) -> JSONBodyCheck.Problem? {
        JSONBodyCheck.check(Array(text.utf8), maxDepth: depth)
    }

    @Test func aNormalBodyPasses() {
        #expect(Self.check(#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"{\"model\":1}"}]}]}"#) == nil)
        // Nested objects may repeat keys their parents have: only the top level is judged.
        #expect(Self.check(#"{"a":{"a":1,"a":2},"b":[{"a":1},{"a":2}]}"#) == nil)
    }

    @Test func duplicateTopLevelKeysAreFoundAfterUnescaping() {
        #expect(Self.check(#"{"model":"a","max_tokens":1,"model":"b"}"#) == .duplicateKey("model"))
        #expect(Self.check(#"{"model":"a","\u006dodel":"b"}"#) == .duplicateKey("model"))
        #expect(Self.check(#"{"a\"b":1,"a\u0022b":2}"#) == .duplicateKey("a\"b"))
        // A string value that looks like a key is not one.
        #expect(Self.check(#"{"a":"b","c":"a"}"#) == nil)
    }

    @Test func depthIsBoundedWithoutRecursion() {
        #expect(Self.check(String(repeating: "[", count: 8) + String(repeating: "]", count: 8)) == nil)
        #expect(Self.check(String(repeating: "[", count: 9) + String(repeating: "]", count: 9)) == .tooDeep(limit: 8, offset: 8))
        // Brackets inside strings do not count.
        #expect(Self.check(#"{"a":"[[[[[[[[[[[[[[[[[["}"#) == nil)
        // A million levels is refused at the bound, not by a stack overflow.
        #expect(Self.check(String(repeating: "[", count: 1_000_000), depth: 128) == .tooDeep(limit: 128, offset: 128))
    }

    @Test func invalidUTF8IsFoundWithItsOffset() {
        #expect(JSONBodyCheck.check(Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8), maxDepth: 8) == .invalidUTF8(offset: 6))
        #expect(JSONBodyCheck.check(Array(#"{"a":"é"}"#.utf8), maxDepth: 8) == nil)
        #expect(JSONBodyCheck.check([0xED, 0xA0, 0x80], maxDepth: 8) == .invalidUTF8(offset: 0))  // an encoded surrogate
    }
}
