public import Telemetry

/// Why an operator's command (a drain, a weight, a circuit, a degradation level, a canary
/// step) was not carried out. The rules runtime knows nothing of HTTP: the control plane maps
/// each case onto a status and an error type (`ControlError.init(_:)`).
public enum OperatorCommandError: Error, Sendable, Equatable {
    /// The command itself is malformed (a weight out of range, an invalid canary).
    case badRequest(String)
    /// It names a region or canary that does not exist.
    case notFound(String)
    /// It cannot be done in the current state (the last region, a canary already finished).
    case conflict(String)
    /// The store could not keep the change and its audit entry; nothing changed.
    case storeRefused(reason: StoreFailureReason, detail: String)

    static func storeRefusedWrite(_ error: any Error) -> OperatorCommandError {
        .storeRefused(reason: StoreFailureReason(error), detail: "\(error)")
    }
}
