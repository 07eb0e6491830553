public import BallastCore

/// Whether a 429 that carried no `anthropic-ratelimit-*` headers speaks for a whole limit
/// group or for the one region that answered it.
///
/// Regions of one limit group share an allowance, so pacing cuts the group's rate on such a
/// 429 (AIMD, for upstreams that announce nothing). But a region answering 429s of its own (a
/// regional throttle, a misbehaving proxy) then starves every region of the group. Seen in the
/// soak: the standby answered half its requests 429 for 30 s, the cut shared rate refused
/// some 5,600 requests with Ballast's own 429 over the next 100 s, while the primary was
/// healthy and had its whole weight back. So a headerless 429 cuts the group only when every
/// region of the group answered one within `window`; otherwise it is that region's failure
/// (retried elsewhere, judged by the rules), not the allowance's.
public struct ThrottleWitness: Sendable {
    /// Seconds within which 429s from every region count as one group-wide signal.
    public static let window = 5.0

    private var last429: [String: MonotonicInstant] = [:]

    public init() {}

    /// Notes a headerless 429 from `region`; true when the group as a whole is throttled (every
    /// region of `group`, which includes `region`, answered one within the window).
    public mutating func headerless429(region: String, group: Set<String>, now: MonotonicInstant) -> Bool {
        last429[region] = now
        for key in last429.keys where !group.contains(key) { last429[key] = nil }
        return group.allSatisfy { member in
            guard let at = last429[member] else { return false }
            return now.seconds(since: at) <= Self.window
        }
    }
}
