import BallastCore
@testable import BallastTesting
import Testing
@testable import BallastSimulator

/// The issued-token map: bounded, and an expired token stays "expired" after it is dropped.
@Suite struct TokenStoreTests {
    private func at(_ seconds: Double) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: 1_000_000_000).adding(seconds: seconds)
    }

    @Test func boundedByForgettingTheTokenClosestToExpiry() {
        let store = IssuedTokenStore(capacity: 3, key: 99)
        let tokens = (0..<4).map { store.issue(now: at(Double($0)), ttl: 10) }
        #expect(store.counts(now: at(4)).live == 3)
        // The first one was forgotten before it expired: invalid, like a revoked token.
        #expect(store.check(tokens[0], now: at(4)) == .invalid)
        #expect(tokens.dropFirst().allSatisfy { store.check($0, now: at(4)) == .valid })
        // Expiry drops the rest, which remain recognisably expired.
        #expect(store.check(tokens[3], now: at(13)) == .expired)
        #expect(store.counts(now: at(13)).live == 0)
        #expect(tokens.dropFirst().allSatisfy { store.check($0, now: at(1000)) == .expired })
        // The forgotten one is, once its time has passed, expired as well.
        #expect(store.check(tokens[0], now: at(1000)) == .expired)
        let counts = store.counts(now: at(1000))
        #expect(counts.issued == 4)
        #expect(counts.invalid == 1)
        #expect(counts.expired == 5)
    }

    @Test func manyTokensStayWithinTheBound() {
        let store = IssuedTokenStore(capacity: 50, key: 1)
        for index in 0..<5_000 { _ = store.issue(now: at(Double(index) / 100), ttl: 3600) }
        #expect(store.counts(now: at(50)).live == 50)
    }

    @Test func rejectsForeignAndMalformedTokens() {
        let store = IssuedTokenStore(capacity: 10, key: 1)
        let other = IssuedTokenStore(capacity: 10, key: 2)
        let foreign = other.issue(now: at(0), ttl: 1)
        #expect(store.check(foreign, now: at(5)) == .invalid)  // expired, but not ours
        #expect(store.check(nil, now: at(0)) == .invalid)
        #expect(store.check("sim_at_", now: at(0)) == .invalid)
        let token = store.issue(now: at(0), ttl: 1)
        #expect(store.check(token.uppercased(), now: at(5)) == .invalid)
        #expect(store.check(token + "0", now: at(5)) == .invalid)
        #expect(store.check(token, now: at(5)) == .expired)
    }
}
