import ArgumentParser
import BallastCore

/// The reason (required) and expiry every operator write carries.
struct OperatorWriteOptions: ParsableArguments {
    @Option(name: .long, help: "Why (required; recorded in the audit log).")
    var reason: String

    @Option(name: .long, help: "Let the rules govern again after this long, e.g. 10m or 2h (default: until cleared).")
    var ttl: String?

    func body(_ extra: [String: Any] = [:]) throws -> [String: Any] {
        var body = extra
        body["reason"] = reason
        if let ttl {
            guard DurationText.seconds(ttl) != nil else { throw ValidationError("--ttl must be a duration such as 10m or 2h") }
            body["ttl"] = ttl
        }
        return body
    }
}
