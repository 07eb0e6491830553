import Yams

extension ConfigNode {
    /// True for an empty or `null`/`~` value, as left by `server:` with every line below it
    /// commented out; such a section means "all defaults", not a mistake.
    public var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}

extension ConfigMapping {
    /// The value for `key` unless it is absent or null.
    public func present(_ key: String) -> ConfigNode? {
        guard let value = self[key], !value.isNull else { return nil }
        return value
    }
}
