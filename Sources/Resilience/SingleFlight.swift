import Synchronization

/// Coalesces identical concurrent work: the first caller for a key does it (the leader), the
/// others (followers) wait for its result instead of sending the same request upstream again;
/// the seed article's "cache breakdown" fix, without Redis.
///
/// The type only keeps the books; callers keep their own waiting continuations, indexed by
/// `WaiterID`, and deliver the value themselves. `Value` is the type of the shared result;
/// it documents (and type-checks) what `complete` hands over.
///
/// Call sequence: `join(key)` →
/// - `.leader`: do the work, then `complete(key, with: value)` → the followers to deliver the
///   value to, or, when the work failed, `fail(key)` → either one follower promoted to leader
///   (it does the work now; the rest keep waiting) or every follower to fail, per
///   `onLeaderFailure`;
/// - `.follower(id)`: wait for a delivery for `id`; a follower that gives up calls
///   `leave(key, id)`. Followers must have their own timeout: a leader that never reports
///   leaves them waiting;
/// - `.overflow`: `maxFollowers` already wait; do the work alone, uncoalesced.
/// Thread-safe.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public struct WaiterID: Sendable, Hashable {
        public let rawValue: UInt64
    }

    public enum Role: Sendable, Equatable {
        case leader
        case follower(WaiterID)
        case overflow
    }

    public enum LeaderFailurePolicy: Sendable, Equatable {
        /// The oldest follower becomes the leader and tries the work itself (retry by proxy).
        case promoteNextFollower
        /// Every follower gets the failure (the work is known to fail the same way).
        case failAll
    }

    public enum LeaderFailure: Sendable, Equatable {
        /// This follower is now the leader; the others keep waiting.
        case promoted(WaiterID)
        /// Fail these followers (empty when none waited).
        case failed([WaiterID])
    }

    private struct State {
        var flights: [Key: [WaiterID]] = [:]
        var nextId: UInt64 = 1
    }

    public let maxFollowers: Int
    public let onLeaderFailure: LeaderFailurePolicy
    private let state = Mutex(State())

    public init(maxFollowers: Int = 1000, onLeaderFailure: LeaderFailurePolicy = .promoteNextFollower) {
        self.maxFollowers = max(0, maxFollowers)
        self.onLeaderFailure = onLeaderFailure
    }

    public func join(_ key: Key) -> Role {
        state.withLock { s in
            guard var followers = s.flights.removeValue(forKey: key) else {
                s.flights[key] = []
                return .leader
            }
            defer { s.flights[key] = followers }
            guard followers.count < maxFollowers else { return .overflow }
            let id = WaiterID(rawValue: s.nextId)
            s.nextId += 1
            followers.append(id)
            return .follower(id)
        }
    }

    /// The leader's work succeeded: ends the flight and returns the followers to deliver
    /// `value` to, in the order they joined.
    public func complete(_ key: Key, with value: Value) -> [WaiterID] {
        state.withLock { $0.flights.removeValue(forKey: key) ?? [] }
    }

    /// The leader's work failed: promote the oldest follower or fail them all.
    public func fail(_ key: Key) -> LeaderFailure {
        state.withLock { s in
            guard var followers = s.flights.removeValue(forKey: key) else { return .failed([]) }
            guard onLeaderFailure == .promoteNextFollower, !followers.isEmpty else { return .failed(followers) }
            let next = followers.removeFirst()
            s.flights[key] = followers
            return .promoted(next)
        }
    }

    /// A follower stopped waiting (its client left, its own timeout fired).
    @discardableResult
    public func leave(_ key: Key, _ waiter: WaiterID) -> Bool {
        state.withLock { s in
            guard var followers = s.flights.removeValue(forKey: key) else { return false }
            defer { s.flights[key] = followers }
            guard let index = followers.firstIndex(of: waiter) else { return false }
            followers.remove(at: index)
            return true
        }
    }

    /// Keys with work in flight.
    public var inFlight: Int { state.withLock { $0.flights.count } }
}
