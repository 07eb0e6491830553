import BallastCore
import Synchronization

/// The tokens a `TokenIssuer` has handed out, shared by every region that checks them.
///
/// Bounded: expired tokens are dropped as time passes and, when `capacity` unexpired tokens
/// are held, the one closest to expiry is forgotten. A dropped token must still be told apart
/// as *expired* rather than *invalid* (the two 401 messages a client reacts to differently),
/// so each token carries its own expiry and a keyed check value: an expired token is
/// recognised without being remembered, while an unknown one that is not yet expired (forged,
/// forgotten or revoked) is invalid.
final class IssuedTokenStore: Sendable {
    private struct State {
        /// Unexpired tokens and their expiry instants.
        var expiries: [String: MonotonicInstant] = [:]
        /// Tokens in issue order, which is expiry order (one TTL, a monotonic clock);
        /// entries before `head` are spent. May hold tokens already removed from `expiries`.
        var order: [String] = []
        var head = 0
        var serial: UInt64 = 0
        var issued = 0
        var rejectedExpired = 0
        var rejectedInvalid = 0
    }

    static let prefix = "sim_at_"
    let capacity: Int
    /// Keys the check value, so only this simulator's tokens (by seed and secret) pass.
    private let key: UInt64
    private let state = Mutex(State())

    init(capacity: Int, key: UInt64) {
        self.capacity = max(1, capacity)
        self.key = key
    }

    /// Hands out a new token valid until `now + ttl` seconds.
    func issue(now: MonotonicInstant, ttl: Double) -> String {
        let expiry = now.adding(seconds: ttl)
        return state.withLock { s in
            Self.prune(&s, now: now)
            while s.expiries.count >= capacity, s.head < s.order.count {
                s.expiries[s.order[s.head]] = nil
                s.head += 1
            }
            s.serial &+= 1
            let nonce = StableHash.mix(key ^ s.serial)
            let token =
                Self.prefix + Self.hex(expiry.nanoseconds) + Self.hex(nonce)
                + Self.hex(mac(expiry: expiry.nanoseconds, nonce: nonce))
            s.expiries[token] = expiry
            s.order.append(token)
            s.issued += 1
            return token
        }
    }

    /// Checks the token of one API request (nil: none was sent) and counts a rejection.
    func check(_ token: String?, now: MonotonicInstant) -> BearerCheck {
        state.withLock { s in
            Self.prune(&s, now: now)
            let result = token.map { verdict($0, s, now: now) } ?? .invalid
            switch result {
            case .valid: break
            case .expired: s.rejectedExpired += 1
            case .invalid: s.rejectedInvalid += 1
            }
            return result
        }
    }

    private func verdict(_ token: String, _ s: State, now: MonotonicInstant) -> BearerCheck {
        if let expiry = s.expiries[token] { return now < expiry ? .valid : .expired }
        // Not remembered: expired (and dropped) if it is genuinely ours, else invalid.
        guard let (expiry, nonce, check) = Self.fields(token), check == mac(expiry: expiry, nonce: nonce),
            now >= MonotonicInstant(nanoseconds: expiry)
        else { return .invalid }
        return .expired
    }

    /// Forgets every token: a region then calls each one invalid, as after a revocation.
    func revokeAll() {
        state.withLock { s in
            s.expiries = [:]
            s.order = []
            s.head = 0
        }
    }

    /// Issued count, live count and the two rejection counts, read under one lock.
    func counts(now: MonotonicInstant) -> (issued: Int, live: Int, expired: Int, invalid: Int) {
        state.withLock { s in
            Self.prune(&s, now: now)
            return (s.issued, s.expiries.count, s.rejectedExpired, s.rejectedInvalid)
        }
    }

    /// Drops expired tokens from the front of the issue order; compacts the order now and then.
    private static func prune(_ s: inout State, now: MonotonicInstant) {
        while s.head < s.order.count {
            let token = s.order[s.head]
            if let expiry = s.expiries[token], now < expiry { break }
            s.expiries[token] = nil
            s.head += 1
        }
        if s.head > 64, s.head * 2 > s.order.count {
            s.order.removeFirst(s.head)
            s.head = 0
        }
    }

    private func mac(expiry: UInt64, nonce: UInt64) -> UInt64 {
        var hash = StableHash()
        hash.feed(key)
        hash.feed(expiry)
        hash.feed(nonce)
        return hash.value
    }

    /// The three 16-digit hex fields after the prefix, or nil when the shape is wrong.
    private static func fields(_ token: String) -> (UInt64, UInt64, UInt64)? {
        guard token.hasPrefix(prefix) else { return nil }
        let digits = Array(token.utf8.dropFirst(prefix.utf8.count))
        guard digits.count == 48 else { return nil }
        func field(_ index: Int) -> UInt64? {
            UInt64(String(decoding: digits[(index * 16)..<(index * 16 + 16)], as: UTF8.self), radix: 16)
        }
        // Only the canonical spelling (lower-case, no sign) is one of ours.
        guard let a = field(0), let b = field(1), let c = field(2), prefix + hex(a) + hex(b) + hex(c) == token else {
            return nil
        }
        return (a, b, c)
    }

    private static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
