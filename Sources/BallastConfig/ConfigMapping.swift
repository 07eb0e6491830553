import Yams
/// The entries of a YAML mapping whose keys were checked against the known ones.
public struct ConfigMapping {
    public let owner: ConfigNode
    public let what: String
    public let entries: [(key: ConfigNode, value: ConfigNode)]

    /// The value node for `key`, or nil when absent.
    public subscript(key: String) -> ConfigNode? {
        entries.first { $0.key.node.string == key }?.value
    }

    public func has(_ key: String) -> Bool { self[key] != nil }

    /// Records an issue at the mapping when a required key is missing.
    public func require(_ key: String) -> ConfigNode? {
        guard let value = self[key] else {
            owner.error("\(what) needs '\(key)'")
            return nil
        }
        return value
    }

    public func string(_ key: String) -> String? { self[key]?.string(what: "'\(key)'") }
    public func int(_ key: String) -> Int? { self[key]?.int(what: "'\(key)'") }
    public func double(_ key: String) -> Double? { self[key]?.double(what: "'\(key)'") }
    public func bool(_ key: String) -> Bool? { self[key]?.bool(what: "'\(key)'") }
    public func duration(_ key: String) -> Double? { self[key]?.duration(what: "'\(key)'") }
    public func ratio(_ key: String) -> Double? { self[key]?.ratio(what: "'\(key)'") }
    public func strings(_ key: String) -> [String]? { self[key]?.strings(what: "'\(key)'") }
}
