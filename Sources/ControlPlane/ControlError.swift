import BallastCore
import ControlModels
import Telemetry
import RulesRuntime

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
    static func unauthorized(_ message: String) -> ControlError { ControlError(status: 401, type: "unauthorized", message: message) }

    /// `{"error":{"type":"not_found","message":"..."}}` (two strings: encoding cannot fail).
    var json: String {
        (try? ControlCoding.encode(ControlErrorDocument(type: type, message: message))) ?? #"{"error":{"type":"api_error"}}"#
    }
}

extension ControlError {
    /// An operator command the rules runtime refused, as the control API answers it.
    init(_ refusal: OperatorCommandError) {
        switch refusal {
        case .badRequest(let message): self = .badRequest(message)
        case .notFound(let message): self = .notFound(message)
        case .conflict(let message): self = .conflict(message)
        case .storeRefused(let reason, let detail):
            self = ControlError(
                status: 503, type: "api_error",
                message: "the change was not made: the store could not save it and its audit entry "
                    + "(\(reason.rawValue): \(detail)); nothing changed, try again once the store "
                    + "takes writes (see /readyz)")
        }
    }

    /// Runs an operator command; its refusal becomes the control API's error.
    static func mapping<T>(_ command: () throws(OperatorCommandError) -> T) throws(ControlError) -> T {
        do { return try command() } catch { throw ControlError(error) }
    }
}
