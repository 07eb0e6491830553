/// One request of the demo as its client saw it, with times in seconds from the start of
/// the load.
struct DemoRecord: Sendable {
    /// When the request was due (open loop).
    var scheduled: Double
    /// When the client saw its end: the last byte, or the failure.
    var completed: Double
    var succeeded: Bool
    /// nil when no response came (connection refused or reset).
    var status: Int?
    /// From Ballast's response headers; absent on the unprotected path.
    var region: String?
    var attempts: Int?
    var hedged: Bool
    var degraded: Bool

    var latency: Double { completed - scheduled }
}
