/// A parsed JSON value. Objects keep their key order; numbers keep their text, so a value
/// hashes the same however the client formatted nothing but whitespace.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// The member `key` of an object (the last one when repeated), or nil.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value as a whole number, when it is one written without fraction or exponent.
    var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The JSON type's name, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Feeds a canonical form (object keys sorted) into `hash`, so equal content hashes
    /// equal whatever the key order or spacing.
    func feed(into hash: inout StableHash) {
        switch self {
        case .null: hash.feed("n")
        case .bool(let b): hash.feed(b ? "t" : "f")
        case .number(let text): hash.feed("#"); hash.feed(text)
        case .string(let s): hash.feed("\""); hash.feed(s); hash.feed("\"")
        case .array(let items):
            hash.feed("[")
            for item in items { item.feed(into: &hash); hash.feed(",") }
            hash.feed("]")
        case .object(let members):
            hash.feed("{")
            var latest: [String: JSONValue] = [:]
            for member in members { latest[member.key] = member.value }
            for key in latest.keys.sorted() {
                hash.feed("\""); hash.feed(key); hash.feed("\":")
                latest[key]?.feed(into: &hash)
                hash.feed(",")
            }
            hash.feed("}")
        }
    }
}
