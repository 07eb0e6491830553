import BallastCore

/// When a request's client stops waiting for its answer.
///
/// The official SDKs send their read timeout on every request (`x-stainless-timeout`, in
/// seconds; 600 by default), and a client may ask for less with `x-ballast-max-wait`. Waiting
/// for allowance past the earliest of these and Ballast's own `timeouts.total` only produces
/// an answer nobody reads while the request holds a slot someone else could use: the
/// first-version gateway held requests up to 14 s behind clients that had given up at 15 s.
/// A value that is not a positive finite number of seconds is ignored.
package enum RequestDeadline {
    static func instant(arrival: MonotonicInstant, total: Double, headers: HTTPHeaders) -> MonotonicInstant {
        arrival.adding(seconds: seconds(total: total, headers: headers))
    }

    /// The seconds from arrival to the deadline.
    static func seconds(total: Double, headers: HTTPHeaders) -> Double {
        var limit = total
        for name in ["x-stainless-timeout", "x-ballast-max-wait"] {
            if let value = headers[name].flatMap(positiveSeconds) { limit = min(limit, value) }
        }
        return limit
    }

    static func positiveSeconds(_ text: String) -> Double? {
        guard let value = Double(text.trimmingSpaces()), value.isFinite, value > 0 else { return nil }
        return value
    }
}
