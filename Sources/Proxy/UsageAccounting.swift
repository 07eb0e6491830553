package import BallastConfig
import BallastCore
import Crypto

/// Turns what each attempt of a request used into its cost and its overhead reason, before
/// the records reach the sinks (metrics, store, access log), so every sink sees the same
/// figures and the counters, the store and `ballast stats` agree to the token.
package struct UsageAccounting: Sendable {
    let pricing: PricingConfig

    package init(pricing: PricingConfig = PricingConfig()) {
        self.pricing = pricing
    }

    /// The cost of `usage` for `model`; nil when nothing of the usage is known or the model
    /// has no price. A stream cut after `message_start` is priced for what it reported (its
    /// input was billed).
    func cost(of usage: MessageUsage, model: String?) -> Double? {
        guard usage.state == .complete || usage.state == .partial, let model, let price = pricing.price(for: model) else {
            return nil
        }
        return price.cost(of: usage)
    }

    /// The `client` label and store value of a request without a client key: a fingerprint of
    /// the credential it presented (12 hex digits of its SHA-256, never the credential), or
    /// `none`.
    static func credentialFingerprint(_ headers: HTTPHeaders) -> String {
        var credential = headers["x-api-key"] ?? ""
        if credential.isEmpty, let authorization = headers["authorization"] { credential = authorization }
        guard !credential.isEmpty else { return "none" }
        return "key-" + String(Hex.encode(Digest.sha256(credential)).prefix(12))
    }

    /// Why an attempt's tokens bought nothing the client received, or nil when they did.
    /// - Parameters:
    ///   - delivered: this attempt's answer is the one the client got (or was getting).
    ///   - clientGone: the client left before its answer was complete.
    static func overhead(delivered: Bool, cancelledByBallast: Bool, failed: Bool, clientGone: Bool) -> OverheadReason? {
        if failed, !delivered { return .retry }  // its answer was an error, discarded for another try
        if clientGone { return .cancelled }
        if delivered { return nil }
        if cancelledByBallast { return .hedge }  // stopped because another attempt won
        return .retry
    }
}
