/// What a series counts: the client's requests (one per request, whatever happened to it) or
/// the attempts sent upstream (every try, retries, failovers and hedges included).
///
/// Retries and failover hide upstream trouble from request-level series: a request that got a
/// 529 from the primary and a 200 from the secondary is a success. Rules that must react to
/// the upstream itself (a region's health, overload the clients do not see yet) read attempts.
public enum SeriesLevel: String, Sendable, CaseIterable, Hashable {
    case request
    case attempt

    /// How far back attempts are kept (in memory, by the gateway): the longest window an
    /// attempt-level series may ask for.
    public static let attemptRetention: Double = 300

    /// The level of a series whose selector names no `level`: attempts when it selects or
    /// groups by region (a region's health is what happened to the attempts sent to it) and
    /// its window is within `attemptRetention`, requests otherwise.
    public static func implied(regionScoped: Bool, window: Double) -> SeriesLevel {
        regionScoped && window <= attemptRetention ? .attempt : .request
    }
}
