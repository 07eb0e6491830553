import BallastCore
import SharedState
import Redis
import Testing
#if canImport(Glibc)
import Glibc
import Synchronization
#endif

@Suite("Shared allowance: the Lua bucket and leases against a real redis-server", .serialized)
struct SharedAllowanceTests {
    @Test("two instances asking for twice the limit each are held to the one shared bucket")
    func twoInstancesShareOneBucket() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        let second = RedisClient(endpoint: redis.server.endpoint)
        second.start()
        defer { second.stop() }
        #expect(RedisHarness.eventually { second.isUp })
        let settings = SharedAllowanceSettings(horizon: 0.5)
        let clock = SystemClock()
        let a = SharedAllowance(client: redis.client, keyPrefix: "t:", settings: settings, clock: clock)
        let b = SharedAllowance(client: second, keyPrefix: "t:", settings: settings, clock: clock)
        let start = clock.now()
        let duration = 2.0
        let end = start.adding(seconds: duration)
        var sendsBeforeEnd = 0
        var refused = 0
        // 400 rps per instance against 100 rps announced (98 with the headroom).
        while clock.now() < end {
            for allowance in [a, b] {
                let now = clock.now()
                switch allowance.admit("primary|m", ceiling: 100, now: now) {
                case .now: sendsBeforeEnd += 1
                case .wait(let seconds): if now.adding(seconds: seconds) <= end { sendsBeforeEnd += 1 }
                case .reject: refused += 1
                }
            }
            usleep(2_500)
        }
        // At most the rate over the run, the bucket's 0.2 s and the first estimates.
        let ceiling = 98 * duration + 98 * 0.2 + 2 * Double(settings.maxOwed) + 2
        #expect(Double(sendsBeforeEnd) <= ceiling, "\(sendsBeforeEnd) sends scheduled in \(duration) s")
        #expect(Double(sendsBeforeEnd) >= 0.9 * 98 * duration, "\(sendsBeforeEnd) sends: the bucket must be used")
        #expect(refused > 0)
        #expect(a.slotsGranted.load(ordering: .relaxed) > 0 && b.slotsGranted.load(ordering: .relaxed) > 0)
        // Round trips per request stay well under one.
        let leases = a.leases.load(ordering: .relaxed) + b.leases.load(ordering: .relaxed)
        #expect(Double(leases) < 0.5 * Double(sendsBeforeEnd + refused), "\(leases) leases")
    }

    @Test("a 429 on one instance cuts the shared rate, once per cooldown")
    func sharedCut() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        let clock = SystemClock()
        let a = SharedAllowance(client: redis.client, keyPrefix: "c:", settings: SharedAllowanceSettings(), clock: clock)
        _ = a.admit("r|m", ceiling: 100, now: clock.now())
        #expect(RedisHarness.eventually { a.slotsGranted.load(ordering: .relaxed) > 0 })
        a.rateLimited("r|m", retryAfter: nil, explained: false, now: clock.now())
        a.rateLimited("r|m", retryAfter: nil, explained: false, now: clock.now())
        #expect(RedisHarness.eventually { a.cuts.load(ordering: .relaxed) == 1 })
        usleep(100_000)
        #expect(a.cuts.load(ordering: .relaxed) == 1, "the second 429 within the cooldown must not cut again")
        let rate = redis.client.call(["HGET", "c:bucket:r|m", "rate"]).map { $0.double ?? 0 }
        #expect(rate.map { (48...50).contains($0) } == .success(true), "\(rate)")
    }

    @Test("a 429 the headers explain holds the shared bucket for its retry-after and keeps the rate")
    func explainedRateLimit() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        let clock = SystemClock()
        let a = SharedAllowance(client: redis.client, keyPrefix: "e:", settings: SharedAllowanceSettings(), clock: clock)
        _ = a.admit("r|m", ceiling: 100, now: clock.now())
        #expect(RedisHarness.eventually { a.slotsGranted.load(ordering: .relaxed) > 0 })
        a.rateLimited("r|m", retryAfter: 0.5, explained: true, now: clock.now())
        // The hold is written by the same script; wait for it, then read the bucket.
        #expect(
            RedisHarness.eventually {
                (try? redis.client.call(["HGET", "e:bucket:r|m", "level"]).get().double).map { $0 < -40 } ?? false
            })
        let rate = redis.client.call(["HGET", "e:bucket:r|m", "rate"]).map { $0.double ?? 0 }
        #expect(rate.map { (97...98).contains($0) } == .success(true), "the rate must stay at the ceiling: \(rate)")
        #expect(a.cuts.load(ordering: .relaxed) == 0)
        // An unexplained one right after still cuts: explained 429s do not use up the cooldown.
        a.rateLimited("r|m", retryAfter: nil, explained: false, now: clock.now())
        #expect(RedisHarness.eventually { a.cuts.load(ordering: .relaxed) == 1 })
    }

    @Test("with Redis gone, admission is local and never waits on Redis")
    func redisDown() throws {
        let redis = try RedisHarness()
        let clock = SystemClock()
        let a = SharedAllowance(
            client: redis.client, keyPrefix: "d:", settings: SharedAllowanceSettings(localShare: 0.5),
            clock: clock)
        _ = a.admit("r|m", ceiling: 100, now: clock.now())
        #expect(RedisHarness.eventually { a.slotsGranted.load(ordering: .relaxed) > 0 })
        redis.server.stop()
        _ = redis.client.call(["PING"], timeout: 0.5)
        #expect(RedisHarness.eventually { !redis.client.isUp })
        let before = clock.now()
        for _ in 0..<100 { _ = a.admit("r|m", ceiling: 100, now: clock.now()) }
        #expect(clock.now().seconds(since: before) < 0.05)
        #expect(a.localAdmissions.load(ordering: .relaxed) == 100)
        redis.client.stop()
    }
}
