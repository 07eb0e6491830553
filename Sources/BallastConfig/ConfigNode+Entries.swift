import Yams

extension ConfigNode {
    /// The entries of a mapping whose keys are names the file chooses (such as key group
    /// names), or nil (with an issue) when the node is not a mapping. Duplicates are issues.
    func entries(what: String) -> [(key: ConfigNode, value: ConfigNode)]? {
        guard case .mapping(let mapping) = node else {
            error("\(what) must be a mapping of names to values")
            return nil
        }
        var result: [(key: ConfigNode, value: ConfigNode)] = []
        var firstLine: [String: Int] = [:]
        for (key, value) in mapping {
            let keyNode = ConfigNode(node: key, file: file, issues: issues)
            let name = key.string ?? ""
            if let line = firstLine[name] {
                keyNode.error("duplicate key '\(name)' in \(what) (first given at line \(line))")
                continue
            }
            firstLine[name] = keyNode.location.line
            result.append((keyNode, ConfigNode(node: value, file: file, issues: issues)))
        }
        return result
    }
}
