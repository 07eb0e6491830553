import Rules

/// Told of every change the operator's overrides go through on this instance (a write or an
/// expiry), so it can publish them to the other instances. Never told of changes taken from
/// them (`RuleController.mergeSharedOverrides`), so nothing echoes.
protocol OverridesObserver: Sendable {
    func overridesChanged(from old: OperatorOverrides, to new: OperatorOverrides)
}
