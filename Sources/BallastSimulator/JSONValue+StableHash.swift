import JSON

extension JSONValue {
    /// Feeds a canonical form (object keys sorted) into `hash`, so equal content hashes
    /// equal whatever the key order or spacing.
    func feed(into hash: inout StableHash) {
        switch self {
        case .null: hash.feed("n")
        case .bool(let b): hash.feed(b ? "t" : "f")
        case .number(let text):
            hash.feed("#")
            hash.feed(text)
        case .string(let s):
            hash.feed("\"")
            hash.feed(s)
            hash.feed("\"")
        case .array(let items):
            hash.feed("[")
            for item in items {
                item.feed(into: &hash)
                hash.feed(",")
            }
            hash.feed("]")
        case .object(let members):
            hash.feed("{")
            for member in members.sorted(by: { $0.key < $1.key }) {
                hash.feed("\"")
                hash.feed(member.key)
                hash.feed("\":")
                member.value.feed(into: &hash)
                hash.feed(",")
            }
            hash.feed("}")
        }
    }
}
