/// The labels a `by (...)` clause groups on: which kind of vector an expression is.
public struct Grouping: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let region = Grouping(rawValue: 1)
    public static let model = Grouping(rawValue: 2)

    /// `(region, model)`, or `()` for a single value.
    public var description: String {
        var names: [String] = []
        if contains(.region) { names.append("region") }
        if contains(.model) { names.append("model") }
        return "(\(names.joined(separator: ", ")))"
    }
}
