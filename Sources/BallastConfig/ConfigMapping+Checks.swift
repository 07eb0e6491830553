import Yams
extension ConfigMapping {
    /// The sub-section at `key` read as a mapping named `path` in messages; nil when absent
    /// or null, so an emptied section falls back to its defaults.
    func section(_ key: String, path: String, keys: Set<String>) -> ConfigMapping? {
        present(key)?.mapping(what: path, keys: keys)
    }

    /// A duration above zero at `key`; `path` is the section's dotted name for messages.
    func positiveDuration(_ key: String, in path: String) -> Double? {
        guard let node = self[key] else { return nil }
        let what = "'\(path).\(key)'"
        guard let value = node.duration(what: what) else { return nil }
        guard value > 0 else {
            node.error("\(what) must be greater than 0")
            return nil
        }
        return value
    }

    /// A whole number within `range` at `key`.
    func int(_ key: String, in path: String, range: ClosedRange<Int>) -> Int? {
        guard let node = self[key] else { return nil }
        let what = "'\(path).\(key)'"
        guard let value = node.int(what: what) else { return nil }
        guard range.contains(value) else {
            let bounds = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            node.error("\(what) must be \(bounds), not \(value)")
            return nil
        }
        return value
    }

    /// The position of `key` itself (not its value), for errors about the key's presence.
    func keyNode(_ key: String) -> ConfigNode? {
        entries.first { $0.key.node.string == key }?.key
    }
}
