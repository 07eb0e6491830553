import BallastCore

/// The recent admissions of one pacing key: when each was due to be sent and what it was
/// charged, so that an answer's `remaining` (what the upstream held when that request arrived)
/// can be compared with Ballast's own bucket: everything sent after it is not in that figure.
///
/// A ring of `capacity` entries kept in order of their due instants, so a sum walks back from
/// the newest only until it passes the instant asked about. Admissions mostly come in that
/// order (reservations are handed out in order), but not all: one admitted now, or a waiting
/// one sent early, comes after reservations due later, and goes back past them on append (at
/// most the requests waiting). In the order of arrival, the sum stopped at such an entry and
/// left out every reservation due after it: the model was raised above the upstream's bucket,
/// and a standby's line went out at once into 45 upstream 429s (capacity simulation,
/// region-down scenario, as the primary came back).
struct AdmissionLog: Sendable {
    struct Entry: Sendable {
        var due: MonotonicInstant
        var cost: RequestCost
        /// 0 once the admission was given back (it never reached the upstream).
        var requests: Double = 1
    }

    /// At the gateway's highest measured rate (4,000 req/s) and a 1 s round trip, 4,096 covers
    /// every request in flight.
    static let capacity = 4096
    private var entries: [Entry] = []
    private var next = 0

    mutating func append(due: MonotonicInstant, cost: RequestCost) {
        let entry = Entry(due: due, cost: cost)
        var index: Int
        if entries.count < Self.capacity {
            entries.append(entry)
            index = entries.count - 1
        } else {
            entries[next] = entry
            index = next
        }
        next = (next + 1) % Self.capacity
        // Back past the entries due later (the oldest entry stays where it is).
        for _ in 1..<max(1, entries.count) {
            let previous = (index - 1 + entries.count) % entries.count
            guard previous != next % entries.count, entries[previous].due > entries[index].due else { break }
            entries.swapAt(previous, index)
            index = previous
        }
    }

    /// Voids the newest admission due at `due` (it never reached the upstream), so answers
    /// that come later do not count it as sent. False when it is no longer in the log.
    @discardableResult
    mutating func void(due: MonotonicInstant) -> Bool {
        var index = next
        for _ in 0..<entries.count {
            index = (index - 1 + entries.count) % entries.count
            if entries[index].due == due, entries[index].requests > 0 {
                entries[index].requests = 0
                entries[index].cost = .zero
                return true
            }
            // Dues are nearly in order: far older ones cannot match.
            if entries[index].due < due.adding(seconds: -60) { return false }
        }
        return false
    }

    /// Requests and tokens of the admissions due after `instant`.
    func sum(after instant: MonotonicInstant) -> (requests: Double, cost: RequestCost) {
        var requests = 0.0
        var input = 0.0
        var output = 0.0
        var index = next
        for _ in 0..<entries.count {
            index = (index - 1 + entries.count) % entries.count
            let entry = entries[index]
            guard entry.due > instant else { break }
            requests += entry.requests
            input += entry.cost.inputTokens
            output += entry.cost.outputTokens
        }
        return (requests, RequestCost(inputTokens: input, outputTokens: output))
    }

    /// How far an answer's `remaining` may lie below the bucket's level once refilled to
    /// `instant`, for an upstream that measured it at some moment within `span` after
    /// `instant` (the request's sending): the most, over that moment, of what refilled since
    /// `instant` less what of this log was sent since `instant` and so was already in the
    /// figure. `amount` is what an entry took (requests, or a kind of tokens).
    ///
    /// Taking the longest refill and the whole of what was sent separately (the raise's old
    /// bound) is `refill x span`: in the capacity simulation a model that had fallen below the
    /// upstream's bucket (attempts to a stalled region charged, never received) was raised back
    /// only to 62 requests short of it, the fastest round trip's worth, and stayed there: 59
    /// requests of the allowance left in the bucket at the end (seed 359). While requests go out
    /// at the refill rate the two nearly cancel.
    func raiseSlack(after instant: MonotonicInstant, within span: Double, refillPerSecond refill: Double, amount: (Entry) -> Double) -> Double {
        guard span > 0, !entries.isEmpty else { return max(0, refill * span) }
        let end = instant.adding(seconds: span)
        // Walked back from the newest, as `sum` does, without a copy (this runs at every
        // answer with headers): first what the span holds in all, then each entry's moment
        // against what was sent before it, which is that total less the entries from it on.
        var total = 0.0
        walk(after: instant) { entry in if entry.due <= end { total += amount(entry) } }
        var slack = max(0, refill * span - total)
        var fromHere = 0.0
        walk(after: instant) { entry in
            guard entry.due <= end else { return }
            fromHere += amount(entry)
            slack = max(slack, refill * entry.due.seconds(since: instant) - (total - fromHere))
        }
        return slack
    }

    /// Every entry due after `instant`, newest first.
    private func walk(after instant: MonotonicInstant, _ body: (Entry) -> Void) {
        var index = next
        for _ in 0..<entries.count {
            index = (index - 1 + entries.count) % entries.count
            guard entries[index].due > instant else { return }
            body(entries[index])
        }
    }
}
