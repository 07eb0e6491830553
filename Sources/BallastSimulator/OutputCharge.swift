/// The output tokens of one reply, owed to the output bucket as they are produced: evenly
/// from the first token (`start`) to the last (`end`), on the simulator's timeline (seconds).
///
/// The simulator knows a reply's pacing when it admits it, so it books the whole production
/// then and the limiter settles what is due each time it looks: the charge lands when the
/// tokens do, without a callback per delta.
public struct OutputCharge: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var tokens: Double
    /// What has been charged so far.
    public private(set) var charged: Double = 0

    public init(start: Double, end: Double, tokens: Double) {
        self.start = start
        self.end = max(start, end)
        self.tokens = max(0, tokens)
    }

    /// Tokens produced by time `now` (all of them at `start` when the reply has no duration).
    public func produced(by now: Double) -> Double {
        guard now >= start else { return 0 }
        guard end > start, now < end else { return tokens }
        return tokens * (now - start) / (end - start)
    }

    /// Tokens still to be charged after `now`.
    public func outstanding(after now: Double) -> Double { tokens - max(charged, produced(by: now)) }

    /// Marks what is produced by `now` as charged and returns the newly due amount.
    public mutating func settle(now: Double) -> Double {
        let due = produced(by: now) - charged
        guard due > 0 else { return 0 }
        charged += due
        return due
    }

    public func isDone(at now: Double) -> Bool { now >= end && charged >= tokens }
}
