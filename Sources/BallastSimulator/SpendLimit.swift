import BallastCore
import HTTPServer

/// The 429 the API sends when a workspace has reached its spend limit. It shares the status
/// and `rate_limit_error` type with a rate limit, but waiting seconds does not help, so it
/// comes with `x-should-retry: false` and no `retry-after`: the Anthropic SDKs honour that
/// header before their "retry every 429" default, and a resilience proxy must too.
enum SpendLimit {
    /// The body, with the real API's message: access comes back at the start of next month (UTC).
    static func error(wallTime: Double) -> AnthropicError {
        AnthropicError(
            .rateLimit,
            "You have reached your specified API usage limits. "
                + "You will regain access on \(RFC3339.startOfNextMonth(epochSeconds: wallTime)) at 00:00 UTC.")
    }

    /// The request's API headers plus the "do not retry" signal.
    static func headers(_ headers: HTTPHeaders) -> HTTPHeaders {
        var headers = headers
        headers.set("x-should-retry", "false")
        headers.remove("retry-after")
        return headers
    }
}
