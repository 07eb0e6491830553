import BallastCore
import Resilience
import Testing

@Suite struct BackoffTests {
    @Test func windowDoublesUpToTheCap() {
        let backoff = Backoff(generator: SeededRandom(seed: 1))
        #expect(backoff.window(attempt: 0) == 0.25)
        #expect(backoff.window(attempt: 1) == 0.5)
        #expect(backoff.window(attempt: 4) == 4)
        #expect(backoff.window(attempt: 5) == 8)
        #expect(backoff.window(attempt: 6) == 8)
        #expect(backoff.window(attempt: 10_000) == 8)
        #expect(backoff.window(attempt: -3) == 0.25)
    }

    @Test func fullJitterCoversTheWholeWindow() {
        var backoff = Backoff(generator: SeededRandom(seed: 42))
        let draws = (0..<10_000).map { _ in backoff.jitter(attempt: 3) }
        #expect(draws.allSatisfy { $0 >= 0 && $0 < 2 })
        let mean = draws.reduce(0, +) / Double(draws.count)
        #expect(abs(mean - 1) < 0.05)
        #expect(draws.min()! < 0.01)
        #expect(draws.max()! > 1.99)
    }

    @Test func sameSeedSameDelays() {
        var first = Backoff(generator: SeededRandom(seed: 7))
        var second = Backoff(generator: SeededRandom(seed: 7))
        let a = (0..<20).map { first.delay(attempt: $0 % 6) }
        let b = (0..<20).map { second.delay(attempt: $0 % 6) }
        #expect(a == b)
    }

    @Test func retryAfterIsAFloorCappedByTheMaximum() {
        var backoff = Backoff(generator: SeededRandom(seed: 3))
        #expect(backoff.delay(attempt: 0, retryAfter: 5) == 5)
        #expect(backoff.delay(attempt: 0, retryAfter: 600) == 60)
        // A retry-after shorter than the jitter draw does not shorten it.
        for _ in 0..<100 {
            let delay = backoff.delay(attempt: 5, retryAfter: 0.001) ?? -1
            #expect(delay >= 0.001 && delay < 8)
        }
    }

    @Test func givesUpWhenTheDeadlineWouldPass() {
        var backoff = Backoff(generator: SeededRandom(seed: 9))
        #expect(backoff.delay(attempt: 0, retryAfter: 5, remaining: 3) == nil)
        #expect(backoff.delay(attempt: 0, retryAfter: 5, remaining: 5) == nil)
        #expect(backoff.delay(attempt: 0, retryAfter: 5, remaining: 30) == 5)
        #expect(backoff.delay(attempt: 0, remaining: 0) == nil)
        let jittered = backoff.delay(attempt: 2, remaining: 100) ?? -1
        #expect(jittered >= 0 && jittered < 1)
    }

    @Test func productionBackoffUsesTheSystemGenerator() {
        var backoff = Backoff()
        #expect(backoff.window(attempt: 0) == 0.25)
        let delay = backoff.delay(attempt: 1) ?? -1
        #expect(delay >= 0 && delay < 0.5)
    }

    @Test func configurableBaseAndCap() {
        var backoff = Backoff(base: 1, cap: 3, maxRetryAfter: 10, generator: SeededRandom(seed: 5))
        #expect(backoff.window(attempt: 1) == 2)
        #expect(backoff.window(attempt: 2) == 3)
        #expect(backoff.delay(attempt: 0, retryAfter: 20) == 10)
    }
}
