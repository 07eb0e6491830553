import BallastCore
import Resilience

/// A configured client key as the gate holds it: its name, the SHA-256 of the key (never the
/// key), the models it may use and its limits.
struct ClientKey: Sendable {
    let name: String
    let hash: [UInt8]
    /// Allowed model globs; empty: every model.
    let models: [String]
    let limits: ClientLimits

    func allows(model: String) -> Bool {
        models.isEmpty || models.contains { Glob.matches($0, model) }
    }
}
