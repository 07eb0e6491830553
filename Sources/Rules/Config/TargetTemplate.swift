/// An action's `target:` as written: fixed names, or `$region` / `$model` taken from the
/// labels of the rule instance that fires (`target: { model: "$model" }` on a rule grouped
/// `by (model)` opens that model's circuit only).
public struct TargetTemplate: Sendable, Equatable, CustomStringConvertible {
    public var region: String?
    public var model: String?

    public init(region: String? = nil, model: String? = nil) {
        self.region = region
        self.model = model
    }

    /// The concrete target for an instance; nil when a placeholder has no value.
    public func resolve(_ labels: SeriesLabels) -> CircuitTarget? {
        var target = CircuitTarget()
        if let region {
            guard let value = region == "$region" ? labels.region : region else { return nil }
            target.region = value
        }
        if let model {
            guard let value = model == "$model" ? labels.model : model else { return nil }
            target.model = value
        }
        return target
    }

    public var description: String { CircuitTarget(region: region, model: model).description }
}
