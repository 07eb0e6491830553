/// An ordered list of header fields. Names are stored lower-cased, as HTTP/2 does,
/// so look-ups are plain comparisons.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Field = (name: String, value: String)
    public private(set) var fields: [Field] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    public init(_ fields: [(String, String)]) {
        for (name, value) in fields { add(name, value) }
    }

    /// The first value of `name` (any case), or nil.
    public subscript(name: String) -> String? {
        let key = Self.lowercase(name)
        return fields.first { $0.name == key }?.value
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append((Self.lowercase(name), value))
    }

    /// ASCII names are the norm; lower-casing them without `lowercased()`'s Unicode
    /// machinery (and without any copy when already lower-case) matters on the hot path.
    @inline(__always)
    static func lowercase(_ name: String) -> String {
        var needsWork = false
        for byte in name.utf8 {
            if byte >= 0x80 { return name.lowercased() }
            if byte >= 0x41 && byte <= 0x5A { needsWork = true }
        }
        guard needsWork else { return name }
        return String(decoding: name.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Replaces every field called `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        let key = Self.lowercase(name)
        fields.removeAll { $0.name == key }
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}
