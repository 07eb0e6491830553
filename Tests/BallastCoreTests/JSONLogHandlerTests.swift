import BallastCore
import Foundation
import Logging
import Testing

@Suite struct JSONLogHandlerTests {
    @Test func aLineIsOneObjectWithFixedKeysFirstAndTypedFields() throws {
        let line = JSONLogHandler.line(
            time: 0.5, level: .warning, label: "ballast", message: "a \"quoted\"\nmessage",
            fields: [
                "status": .stringConvertible(503), "ok": .stringConvertible(false),
                "ms": .stringConvertible(1.5), "region": "eu",
                "message": "shadowed", "list": ["a", "b"],
            ])
        #expect(
            line.hasPrefix(#"{"time":"1970-01-01T00:00:00.500Z","level":"warning","logger":"ballast","message":"a \"quoted\"\nmessage""#),
            "\(line)")
        #expect(line.hasSuffix("}\n") && line.dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["status"] as? Int == 503)
        #expect(object["ok"] as? Bool == false)
        #expect(object["ms"] as? Double == 1.5)
        #expect(object["region"] as? String == "eu")
        #expect(object["field_message"] as? String == "shadowed", "a field never replaces a fixed key")
        #expect(object["list"] as? [String] == ["a", "b"])
    }

    @Test func timestampsAreUTCWithMilliseconds() {
        #expect(JSONLogHandler.timestamp(1_765_000_000.25) == "2025-12-06T05:46:40.250Z")
        #expect(JSONLogHandler.timestamp(951_782_400.999_9) == "2000-02-29T00:00:00.999Z")
    }
}
