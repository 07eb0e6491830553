/// What Ballast is doing at one moment of the demo, read from its `/metrics` and its
/// SQLite store: the live view's lower half and the summary's "what Ballast did".
struct DemoStatus: Sendable {
    /// One upstream region as Ballast sees it; rates and p99 over the probe's recent window.
    struct Region: Sendable {
        var name: String
        /// The region's circuit (`closed`, `open`, `half_open`).
        var state: String
        var weight: Int
        var attemptsPerSecond: Double
        var errorsPerSecond: Double
        /// p99 of the attempts' latency in seconds; nil without attempts.
        var p99: Double?
    }

    var regions: [Region] = []
    var degradationLevel = 0
    var hedgesSent = 0
    var hedgesWon = 0
    var tokenRefreshes = 0
    var retries = 0
    /// The latest audit entries, oldest first, already formatted.
    var actions: [String] = []
}
