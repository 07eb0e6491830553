/// A parsed JSON document, kept as written: object members in their original order (so a
/// re-serialised message reads like the API's own) and numbers as their original text (so no
/// precision is lost on the way through a `Double`).
///
/// The cache needs whole documents, unlike `JSONScanner`, which only validates and picks
/// top-level fields: cache keys are taken over a canonical form of the request body, and
/// streamed answers are rebuilt into (and from) complete Message objects.
///
/// Equality is JSON equality: object member order does not matter, numbers compare by value
/// as written in canonical form (`1.0 == 1`), strings compare by their UTF-8 bytes.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// The number's text as written (always valid JSON number syntax).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// The value of the member called `key`, when this is an object (a parsed document has
    /// no repeated names: `JSONParser` refuses them).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var objectMembers: [(key: String, value: JSONValue)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The number as a `Double`, when this is a number that fits one.
    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    /// The number as an `Int`, when this is an integral number that fits one.
    public var intValue: Int? {
        guard case .number(let text) = self else { return nil }
        if let value = Int(text) { return value }
        guard let double = Double(text), double == double.rounded(), abs(double) < 9.0e15 else { return nil }
        return Int(double)
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The JSON type's name, for error messages ("expected a string, got number").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Sets the first member called `key` (appending one when there is none); does nothing
    /// unless this is an object.
    public mutating func set(_ key: String, _ value: JSONValue) {
        guard case .object(var members) = self else { return }
        self = .null  // drop the reference so `members` is modified in place
        if let index = members.firstIndex(where: { $0.key == key }) {
            members[index].value = value
        } else {
            members.append((key: key, value: value))
        }
        self = .object(members)
    }

    /// Removes every member called `key`; does nothing unless this is an object.
    public mutating func remove(_ key: String) {
        guard case .object(var members) = self else { return }
        self = .null
        members.removeAll { $0.key == key }
        self = .object(members)
    }

    /// An integer number.
    public static func integer(_ value: Int) -> JSONValue { .number(String(value)) }
}

extension JSONValue: Equatable {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case (.bool(let a), .bool(let b)):
            return a == b
        case (.number(let a), .number(let b)):
            return a == b || JSONValue.canonicalNumber(a) == JSONValue.canonicalNumber(b)
        case (.string(let a), .string(let b)):
            return a.utf8.elementsEqual(b.utf8)
        case (.array(let a), .array(let b)):
            return a == b
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            let left = JSONValue.sortedMembers(a)
            let right = JSONValue.sortedMembers(b)
            for (x, y) in zip(left, right) where !x.key.utf8.elementsEqual(y.key.utf8) || x.value != y.value {
                return false
            }
            return true
        default:
            return false
        }
    }
}
