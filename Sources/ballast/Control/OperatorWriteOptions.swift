import ArgumentParser
import BallastCore
import ControlModels

/// The reason (required) and expiry every operator write carries.
struct OperatorWriteOptions: ParsableArguments {
    @Option(name: .long, help: "Why (required; recorded in the audit log).")
    var reason: String

    @Option(name: .long, help: "Let the rules govern again after this long, e.g. 10m or 2h (default: until cleared).")
    var ttl: String?

    func body(level: OperatorWrite.Level? = nil) throws -> OperatorWrite {
        if let ttl, DurationText.seconds(ttl) == nil { throw ValidationError("--ttl must be a duration such as 10m or 2h") }
        return OperatorWrite(reason: reason, ttl: ttl, level: level)
    }
}
