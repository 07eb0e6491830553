/// The label values of one series, in the family's label-name order.
struct LabelSet: Hashable, Sendable {
    let values: [String]

    /// `{a="x",b="y"}` (empty for no labels), with `extra` appended (e.g. `le`).
    func render(names: [String], extra: (String, String)? = nil) -> String {
        var pairs: [String] = []
        for (name, value) in zip(names, values) { pairs.append("\(name)=\"\(Self.escape(value))\"") }
        if let extra { pairs.append("\(extra.0)=\"\(extra.1)\"") }
        return pairs.isEmpty ? "" : "{" + pairs.joined(separator: ",") + "}"
    }

    static func escape(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var out = ""
        for ch in value {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out
    }
}
