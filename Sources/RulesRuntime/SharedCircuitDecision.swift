/// A circuit's opening or closing as published to the other instances (shared mode). The
/// newest one, whichever instance decided it, is the circuit's state on every instance: they
/// open it until the same moment, then go half-open and probe each by itself.
package struct SharedCircuitDecision: Codable, Equatable, Sendable {
    enum Phase: String, Codable, Sendable {
        case open
        case closed
    }

    /// `region=eu`, `model=claude-opus-4-1`, `region=eu,model=...`.
    package var target: String
    var phase: Phase
    /// Wall-clock seconds until which the circuit stays open (open only).
    var until: Double?
    var trips: Int
    var mode: String
    /// The rule that tripped it, when one did; the adopting instance takes its circuit policy.
    var group: String?
    var rule: String?
    /// The instance that decided.
    package var instance: String
    var reason: String
}
