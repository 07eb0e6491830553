import BallastCore
import Telemetry

/// A refused control API request: its HTTP status, a machine-readable type and a message
/// that says what to change.
struct ControlError: Error, Sendable, Equatable {
    var status: Int
    var type: String
    var message: String
    /// The `ballast_requests_refused_total` reason this refusal counts under, if any.
    var refusal: String? = nil

    static func badRequest(_ message: String) -> ControlError { ControlError(status: 400, type: "invalid_request", message: message) }
    /// A reason or operator name refused for its length or characters (counted as
    /// `invalid_operator_text` in `ballast_requests_refused_total`).
    static func operatorText(_ message: String) -> ControlError {
        ControlError(status: 400, type: "invalid_request", message: message, refusal: "invalid_operator_text")
    }
    static func notFound(_ message: String) -> ControlError { ControlError(status: 404, type: "not_found", message: message) }
    static func conflict(_ message: String) -> ControlError { ControlError(status: 409, type: "conflict", message: message) }
    /// The store could not keep an operator's change and its audit entry (`error`, from
    /// SQLite); nothing was changed. `api_error`, as the Messages API names a failure on the
    /// server's side.
    static func storeRefusedWrite(_ error: any Error) -> ControlError {
        ControlError(status: 503, type: "api_error",
                     message: "the change was not made: the store could not save it and its audit entry "
                         + "(\(StoreFailureReason(error).rawValue): \(error)); nothing changed, try again once the store "
                         + "takes writes (see /readyz)")
    }
    static func unauthorized(_ message: String) -> ControlError { ControlError(status: 401, type: "unauthorized", message: message) }

    /// `{"error":{"type":"not_found","message":"..."}}`
    var json: String {
        #"{"error":{"type":"\#(JSONText.escape(type))","message":"\#(JSONText.escape(message))"}}"#
    }
}
