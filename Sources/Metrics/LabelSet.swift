/// The label values of one series, in the family's label-name order.
struct LabelSet: Hashable, Sendable {
    let values: [String]

    /// `a="x",b="y"` without braces (empty for no labels).
    func renderInner(names: [String]) -> String {
        zip(names, values).map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
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
