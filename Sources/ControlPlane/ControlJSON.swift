import BallastCore
import Cache
import JSON
import RulesRuntime

/// The control API's request bodies, read strictly: unknown fields, repeated names and wrong
/// types are errors, so a typo never silently does nothing. (Answers are `ControlModels`
/// values written by `ControlCoding`.)
enum ControlJSON {
    /// The body's members; an empty body has none. Parsed with the strict parser the cache
    /// uses, which keeps booleans and numbers apart (Foundation's does not on Linux).
    static func object(_ body: [UInt8]) throws(ControlError) -> [String: JSONValue] {
        if body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) { return [:] }
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(body)
        } catch {
            throw .badRequest("the body is not valid JSON: \(error)")
        }
        guard let members = parsed.objectMembers else { throw .badRequest("the body must be a JSON object") }
        var object: [String: JSONValue] = [:]
        for (key, value) in members {
            guard object[key] == nil else { throw .badRequest("field '\(key)' is given twice") }
            object[key] = value
        }
        return object
    }

    /// Fails on a field not in `allowed`.
    static func requireOnly(_ allowed: Set<String>, in object: [String: JSONValue]) throws(ControlError) {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .badRequest("unknown field '\(unknown)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    static func string(_ object: [String: JSONValue], _ key: String) throws(ControlError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw .badRequest("'\(key)' must be a string")
        }
    }

    /// A whole number.
    static func integer(_ object: [String: JSONValue], _ key: String) throws(ControlError) -> Int? {
        switch object[key] {
        case nil, .null?: return nil
        case .number(let text)?:
            guard let value = Double(text), value == value.rounded(), abs(value) < 1e15 else {
                throw .badRequest("'\(key)' must be a whole number")
            }
            return Int(value)
        default: throw .badRequest("'\(key)' must be a whole number")
        }
    }

    /// Longest operator reason, in UTF-8 bytes: it is stored in the audit log and shown on the
    /// status page, so it is bounded like every other input.
    static let maxReasonBytes = 512

    /// C0 and C1 control characters (NUL, line breaks, escape, DEL...): none belongs in a one-line
    /// reason, and a NUL once went raw into the status page (docs/configuration.md, "Input limits").
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// The operator's reason (required), expiry and name, from a write's body and headers.
    static func operatorRequest(_ object: [String: JSONValue], operatorHeader: String?) throws(ControlError) -> OperatorRequest {
        guard let reason = try string(object, "reason")?.trimmingSpaces(), !reason.isEmpty else {
            throw .badRequest("'reason' is required: say why, it goes to the audit log")
        }
        guard reason.utf8.count <= maxReasonBytes else {
            throw .operatorText("'reason' is \(reason.utf8.count) bytes, longer than the limit of \(maxReasonBytes)")
        }
        guard !reason.unicodeScalars.contains(where: isControl) else {
            throw .operatorText("'reason' must not contain control characters (such as NUL or a line break)")
        }
        var ttl: Double?
        switch object["ttl"] {
        case nil, .null?: break
        case .string(let text)?:
            guard let seconds = DurationText.seconds(text) else {
                throw .badRequest("'ttl': '\(text)' is not a duration (e.g. 90s, 10m, 1h)")
            }
            ttl = seconds
        case .number(let text)?: ttl = Double(text)
        default: throw .badRequest("'ttl' must be a duration such as \"10m\" or a number of seconds")
        }
        if let seconds = ttl, !(seconds.isFinite && seconds >= 1 && seconds <= 30 * 86_400) {
            throw .badRequest("'ttl' must be between 1s and 30 days")
        }
        let name = try string(object, "operator") ?? operatorHeader ?? "api"
        guard (1...64).contains(name.count),
            name.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._@-".unicodeScalars.contains($0)
            })
        else {
            throw .operatorText("'operator' must be 1 to 64 letters, digits or . _ @ -")
        }
        return OperatorRequest(actor: "operator:\(name)", reason: String(reason), ttl: ttl)
    }
}
