/// What the shared cache tier says about a local miss.
public enum SharedCacheOutcome: Sendable, Equatable {
    /// Another instance has the answer.
    case hit([UInt8])
    /// This instance holds the lock: it makes the one upstream call and publishes the answer.
    case lead(token: String)
    /// Go upstream without the lock (Redis out of reach, the wait ran out, or no answer came).
    case alone
}
