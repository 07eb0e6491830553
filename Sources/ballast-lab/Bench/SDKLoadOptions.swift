/// One run of `bench/sdk_load.py`: where the official SDK sends, with how many of its own
/// retries, and on which arrivals.
struct SDKLoadOptions: Sendable {
    /// Names the run's files in the scratch directory and its lines in the log.
    var label: String
    var baseURL: String
    var schedule: ArrivalSchedule
    var seed: UInt64
    /// The SDK's `max_retries`; 2 is its default.
    var maxRetries = 2
    /// Seconds after the last arrival before unfinished requests are cancelled.
    var drain: Double = 30
    /// The SDK's per-attempt timeout, in seconds (the summaries quote this figure).
    var timeout: Double = SDKLoadOptions.defaultTimeout
    static let defaultTimeout = 60.0
    /// When set, the naive application of `token_expiry`: one OAuth token fetched here at
    /// start and sent as `Authorization: Bearer` for the whole run.
    var bearerTokenURL: String?
    var clientID = "ballast-test"
    /// Environment for the driver, e.g. the OAuth client secret.
    var environment: [String: String] = [:]
    /// Share of 429s carrying `retry-after` that are sent again once after exactly that wait.
    var probeRetryAfter: Double = 0

    var arguments: [String] {
        var arguments = [
            "--base-url", baseURL, "--max-retries", "\(maxRetries)", "--schedule", schedule.json,
            "--seed", "\(seed)", "--drain", "\(drain)", "--timeout", "\(timeout)",
            "--probe-retry-after", "\(probeRetryAfter)",
        ]
        if let bearerTokenURL {
            arguments += [
                "--bearer-token-url", bearerTokenURL, "--client-id", clientID,
                "--client-secret-env", SDKLoadDriver.secretEnvironment,
            ]
        }
        return arguments
    }
}
