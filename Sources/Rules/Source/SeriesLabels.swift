/// The labels of one element of a grouped (`by (...)`) expression, and so of one instance of
/// a rule: the rule `model-failing` fires once per model, each instance with its own state.
public struct SeriesLabels: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var region: String?
    public var model: String?

    public init(region: String? = nil, model: String? = nil) {
        self.region = region
        self.model = model
    }

    public static let none = SeriesLabels()

    public var isEmpty: Bool { region == nil && model == nil }

    /// The labels restricted to those in `grouping`.
    public func projected(onto grouping: Grouping) -> SeriesLabels {
        SeriesLabels(region: grouping.contains(.region) ? region : nil, model: grouping.contains(.model) ? model : nil)
    }

    public func value(of label: SeriesLabel) -> String? {
        switch label {
        case .region: region
        case .model: model
        case .class, .level, .canary, .migration: nil
        }
    }

    public static func < (lhs: SeriesLabels, rhs: SeriesLabels) -> Bool {
        (lhs.region ?? "", lhs.model ?? "") < (rhs.region ?? "", rhs.model ?? "")
    }

    /// `{region="primary", model="claude-opus-4-1"}`, or the empty string when there are none.
    public var description: String {
        var parts: [String] = []
        if let region { parts.append("region=\"\(region)\"") }
        if let model { parts.append("model=\"\(model)\"") }
        return parts.isEmpty ? "" : "{\(parts.joined(separator: ", "))}"
    }
}
