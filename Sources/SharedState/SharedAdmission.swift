/// What the shared allowance says about one more request for a key (the shape of the local
/// `RateQueue.Admission`, which the gateway combines it with).
public enum SharedAdmission: Sendable, Equatable {
    /// Send now.
    case now
    /// A slot is held: send after this many seconds without asking again.
    case wait(seconds: Double)
    /// No slot within the horizon: answer 429 with this retry-after.
    case reject(retryAfter: Double)
}
