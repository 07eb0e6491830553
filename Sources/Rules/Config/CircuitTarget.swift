import BallastCore

/// What a circuit guards: a region, a model (in every region), or one model in one region.
public struct CircuitTarget: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var region: String?
    public var model: String?

    public init(region: String? = nil, model: String? = nil) {
        self.region = region
        self.model = model
    }

    public static func < (lhs: CircuitTarget, rhs: CircuitTarget) -> Bool {
        (lhs.region ?? "", lhs.model ?? "") < (rhs.region ?? "", rhs.model ?? "")
    }

    /// True when a request to `region` for `model` passes through this circuit.
    public func covers(region: String, model: String?) -> Bool {
        if let own = self.region, own != region { return false }
        if let own = self.model, own != model { return false }
        return true
    }

    /// `region=primary`, `model=claude-opus-4-1`, `region=primary,model=claude-opus-4-1`: the
    /// audit target and the `target` label of `ballast_circuit_state`.
    public var description: String {
        var parts: [String] = []
        if let region { parts.append("region=\(region)") }
        if let model { parts.append("model=\(model)") }
        return parts.joined(separator: ",")
    }

    /// Parses the form `description` prints (used by rule tests).
    public init?(parsing text: String) {
        var region: String?
        var model: String?
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { String(String($0).trimmingSpaces()) }
            guard pair.count == 2, !pair[1].isEmpty else { return nil }
            switch pair[0] {
            case "region": region = pair[1]
            case "model": model = pair[1]
            default: return nil
            }
        }
        guard region != nil || model != nil else { return nil }
        self.init(region: region, model: model)
    }
}
