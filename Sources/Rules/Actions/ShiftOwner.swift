/// Who keeps a region's weight shifted away: a firing route rule, or an open circuit.
public enum ShiftOwner: Hashable, Sendable, CustomStringConvertible {
    case rule(RuleInstance)
    case circuit(CircuitTarget)

    public var description: String {
        switch self {
        case .rule(let instance): "rule \(instance)"
        case .circuit(let target): "circuit \(target)"
        }
    }
}
