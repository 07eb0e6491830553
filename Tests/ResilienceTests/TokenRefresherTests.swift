import BallastCore
import Dispatch
import Resilience
import Synchronization
import Testing

@Suite struct TokenRefresherTests {
    /// A refresher holding token `value` that lives `lifetime` seconds from `t(0)`.
    func refresher(_ value: String = "tok-1", lifetime: Double = 3600) -> TokenRefresher {
        let refresher = TokenRefresher()
        guard case .startRefresh(let refresh) = refresher.tokenForRequest(now: t(0)) else { return refresher }
        refresher.refreshSucceeded(refresh, value: value, expiresIn: lifetime, now: t(0))
        return refresher
    }

    @Test func firstCallerFetchesOthersWait() {
        let refresher = TokenRefresher()
        guard case .startRefresh(let refresh) = refresher.tokenForRequest(now: t(0)) else {
            Issue.record("expected startRefresh")
            return
        }
        #expect(refresher.tokenForRequest(now: t(0)) == .waitForRefresh)
        refresher.refreshSucceeded(refresh, value: "tok-1", expiresIn: 3600, now: t(1))
        #expect(refresher.tokenForRequest(now: t(1)) == .use(.init(value: "tok-1", expiresAt: t(3601))))
    }

    @Test func refreshesAheadOfExpiryWhileTrafficContinues() {
        let refresher = refresher()
        // 20 % of an hour is 720 s: refresh from 2,880 s on.
        guard case .use = refresher.tokenForRequest(now: t(2879)) else {
            Issue.record("expected use")
            return
        }
        guard case .useAndRefreshInBackground(let token, let refresh) = refresher.tokenForRequest(now: t(2880)) else {
            Issue.record("expected a background refresh")
            return
        }
        #expect(token.value == "tok-1")
        #expect(refresher.tokenForRequest(now: t(2881)) == .use(token))
        refresher.refreshSucceeded(refresh, value: "tok-2", expiresIn: 3600, now: t(2882))
        #expect(refresher.tokenForRequest(now: t(2883)) == .use(.init(value: "tok-2", expiresAt: t(6482))))
    }

    @Test func shortLivedTokensRefreshAtLeastThirtySecondsAhead() {
        let refresher = refresher(lifetime: 100)
        guard case .use = refresher.tokenForRequest(now: t(69.9)) else {
            Issue.record("expected use")
            return
        }
        guard case .useAndRefreshInBackground = refresher.tokenForRequest(now: t(70)) else {
            Issue.record("expected a background refresh")
            return
        }
    }

    @Test func failedRefreshIsRetriedWithBackoffWhileTheTokenIsValid() {
        let refresher = refresher(lifetime: 100)
        guard case .useAndRefreshInBackground(_, let first) = refresher.tokenForRequest(now: t(70)) else {
            Issue.record("expected a background refresh")
            return
        }
        refresher.refreshFailed(first, reason: "503 from the token endpoint", now: t(70))
        guard case .use = refresher.tokenForRequest(now: t(70.5)) else {
            Issue.record("expected use")
            return
        }
        guard case .useAndRefreshInBackground(_, let second) = refresher.tokenForRequest(now: t(71)) else {
            Issue.record("expected a retry after 1 s")
            return
        }
        refresher.refreshFailed(second, reason: "503 from the token endpoint", now: t(71))
        guard case .use = refresher.tokenForRequest(now: t(72.9)) else {
            Issue.record("expected use")
            return
        }
        guard case .useAndRefreshInBackground = refresher.tokenForRequest(now: t(73)) else {
            Issue.record("expected a retry after 2 s")
            return
        }
        #expect(refresher.snapshot(now: t(73)).consecutiveFailures == 2)
    }

    @Test func expiredTokenWithFailingRefreshFailsFast() {
        let refresher = refresher(lifetime: 100)
        guard case .useAndRefreshInBackground(_, let refresh) = refresher.tokenForRequest(now: t(75)) else {
            Issue.record("expected a background refresh")
            return
        }
        // Expired, refresh still running: wait for it.
        #expect(refresher.tokenForRequest(now: t(100)) == .waitForRefresh)
        refresher.refreshFailed(refresh, reason: "connection refused", now: t(100))
        #expect(refresher.tokenForRequest(now: t(100.5)) == .unavailable(reason: "connection refused"))
        guard case .startRefresh = refresher.tokenForRequest(now: t(101)) else {
            Issue.record("expected a new refresh after the backoff")
            return
        }
    }

    @Test func a401ForcesOneRefreshPerToken() {
        let refresher = refresher()
        guard let forced = refresher.forceRefresh(after401: "tok-1", now: t(10)) else {
            Issue.record("expected a forced refresh")
            return
        }
        #expect(refresher.forceRefresh(after401: "tok-1", now: t(10)) == nil)
        // The rejected token is not handed out again.
        #expect(refresher.tokenForRequest(now: t(10)) == .waitForRefresh)
        refresher.refreshSucceeded(forced, value: "tok-2", expiresIn: 3600, now: t(11))
        // A late 401 for the old token does not refresh the new one.
        #expect(refresher.forceRefresh(after401: "tok-1", now: t(12)) == nil)
        #expect(refresher.tokenForRequest(now: t(12)) == .use(.init(value: "tok-2", expiresAt: t(3611))))
        #expect(refresher.forceRefresh(after401: "tok-2", now: t(13)) != nil)
    }

    @Test func aRefreshThatReturnsTheSameRejectedTokenIsNotForcedAgain() {
        let refresher = refresher()
        guard let forced = refresher.forceRefresh(after401: "tok-1", now: t(10)) else {
            Issue.record("expected a forced refresh")
            return
        }
        refresher.refreshSucceeded(forced, value: "tok-1", expiresIn: 3600, now: t(11))
        #expect(refresher.forceRefresh(after401: "tok-1", now: t(12)) == nil)
    }

    @Test func aLostRefreshIsReplacedAndItsLateFailureIgnored() {
        let refresher = TokenRefresher()
        guard case .startRefresh(let lost) = refresher.tokenForRequest(now: t(0)) else {
            Issue.record("expected start")
            return
        }
        #expect(refresher.tokenForRequest(now: t(29)) == .waitForRefresh)
        // 30 s without an answer: presumed lost, one backoff step, then a new one may start.
        #expect(refresher.tokenForRequest(now: t(30)) == .unavailable(reason: "token refresh timed out"))
        guard case .startRefresh(let next) = refresher.tokenForRequest(now: t(31)) else {
            Issue.record("expected a new refresh")
            return
        }
        refresher.refreshFailed(lost, reason: "late", now: t(32))
        #expect(refresher.tokenForRequest(now: t(32)) == .waitForRefresh)
        refresher.refreshSucceeded(next, value: "tok-1", expiresIn: 3600, now: t(33))
        guard case .use = refresher.tokenForRequest(now: t(33)) else {
            Issue.record("expected use")
            return
        }
    }

    @Test func aThousandConcurrentCallersAroundExpiryStartOneRefresh() {
        let refresher = refresher(lifetime: 100)
        let refreshes = Atomic<Int>(0)
        let uses = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 1000) { index in
            // Callers straddle the refresh instant (70 s) and stay before expiry (100 s).
            switch refresher.tokenForRequest(now: t(69 + Double(index % 30))) {
            case .useAndRefreshInBackground, .startRefresh: refreshes.add(1, ordering: .relaxed)
            case .use: uses.add(1, ordering: .relaxed)
            case .waitForRefresh, .unavailable: break
            }
        }
        #expect(refreshes.load(ordering: .relaxed) == 1)
        #expect(uses.load(ordering: .relaxed) == 999)
    }

    @Test func aThousandConcurrentCallersAfterExpiryShareOneRefresh() {
        let refresher = refresher(lifetime: 100)
        let refreshes = Atomic<Int>(0)
        let waits = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 1000) { _ in
            switch refresher.tokenForRequest(now: t(150)) {
            case .useAndRefreshInBackground, .startRefresh: refreshes.add(1, ordering: .relaxed)
            case .waitForRefresh: waits.add(1, ordering: .relaxed)
            case .use, .unavailable: break
            }
        }
        #expect(refreshes.load(ordering: .relaxed) == 1)
        #expect(waits.load(ordering: .relaxed) == 999)
    }
}
