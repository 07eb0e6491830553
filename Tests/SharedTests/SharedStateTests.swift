import BallastCore
import Dispatch
import SharedState
import Redis
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Shared hash, membership and cache tier against a real redis-server", .serialized)
struct SharedStateTests {
    @Test("the hash keeps the newest write whatever order writes arrive in")
    func newestWins() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        let hash = SharedStateHash(client: redis.client, hashKey: "h:overrides", channel: "h:events")
        #expect(RedisHarness.await { hash.put(SharedEntry(field: "region:a", setAt: 20, payload: "new"), $0) } == true)
        #expect(RedisHarness.await { hash.put(SharedEntry(field: "region:a", setAt: 10, payload: "old"), $0) } == true)
        let entries = RedisHarness.await { hash.fetchAll($0) } ?? nil
        #expect(entries == [SharedEntry(field: "region:a", setAt: 20, payload: "new")])
    }

    @Test("an instance that stops beating leaves the membership after the ttl")
    func membership() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        let a = SharedMembership(client: redis.client, keyPrefix: "m:", id: "a", ttl: 0.3)
        let b = SharedMembership(client: redis.client, keyPrefix: "m:", id: "b", ttl: 0.3)
        _ = RedisHarness.await { b.heartbeat(info: "{}", $0) }
        _ = RedisHarness.await { a.heartbeat(info: #"{"version":"x"}"#, $0) }
        #expect(a.current?.map(\.id) == ["a", "b"])
        usleep(400_000)
        _ = RedisHarness.await { a.heartbeat(info: "{}", $0) }
        #expect(a.current?.map(\.id) == ["a"])
    }

    @Test("identical misses on three tiers: one leads, the others get its answer")
    func singleFlight() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        let tiers = (0..<3).map { index in
            SharedCacheTier(
                client: redis.client, keyPrefix: "s:", instanceID: "i\(index)", maxValueBytes: 1024, lockTimeout: 5,
                memberTTL: 3)
        }
        let outcomes = Outcomes()
        for tier in tiers {
            tier.acquire(namespace: "fp", key: "k", maxWait: 2) { outcome in
                outcomes.add(outcome)
                if case .lead(let token) = outcome {
                    usleep(50_000)
                    tier.publish(namespace: "fp", key: "k", token: token, value: Array("answer".utf8), ttl: 60)
                }
            }
        }
        #expect(RedisHarness.eventually { outcomes.all.count == 3 })
        let all = outcomes.all
        #expect(all.filter { if case .lead = $0 { true } else { false } }.count == 1)
        #expect(all.filter { $0 == .hit(Array("answer".utf8)) }.count == 2)
    }

    @Test("waiters ask again when the leader's publish is announced, long before their poll")
    func announcedPublish() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        // A poll every 10 s: only the announcement can wake the waiters within the test's time.
        let tiers = (0..<3).map { index in
            SharedCacheTier(
                client: redis.client, keyPrefix: "w:", instanceID: "i\(index)", maxValueBytes: 1024, lockTimeout: 20,
                memberTTL: 3, pollInterval: 10)
        }
        let subscribed = DispatchSemaphore(value: 0)
        let subscriber = RedisSubscriber(
            endpoint: redis.server.endpoint, channels: [tiers[0].channel],
            onSubscribed: { subscribed.signal() },
            handler: { _, message in
                for tier in tiers { tier.notify(String(decoding: message, as: UTF8.self)) }
            })
        subscriber.start()
        defer { subscriber.stop() }
        #expect(subscribed.wait(timeout: .now() + 3) == .success)
        let outcomes = Outcomes()
        let started = SystemClock().now()
        for tier in tiers {
            tier.acquire(namespace: "fp", key: "k", maxWait: 15) { outcome in
                outcomes.add(outcome)
                if case .lead(let token) = outcome {
                    usleep(100_000)
                    tier.publish(namespace: "fp", key: "k", token: token, value: Array("answer".utf8), ttl: 60)
                }
            }
        }
        #expect(RedisHarness.eventually(timeout: 5) { outcomes.all.count == 3 })
        #expect(SystemClock().now().seconds(since: started) < 5)
        #expect(outcomes.all.filter { $0 == .hit(Array("answer".utf8)) }.count == 2)
    }

    @Test("a lock whose holder is gone is taken over at once")
    func deadHolder() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        _ = redis.client.call(["SET", "s:lock:fp:k", "gone|1", "PX", "30000"])
        let membership = SharedMembership(client: redis.client, keyPrefix: "s:", id: "me", ttl: 3)
        _ = RedisHarness.await { membership.heartbeat(info: "{}", $0) }
        let tier = SharedCacheTier(
            client: redis.client, keyPrefix: "s:", instanceID: "me", maxValueBytes: 1024, lockTimeout: 30,
            memberTTL: 3)
        let outcome = RedisHarness.await { tier.acquire(namespace: "fp", key: "k", maxWait: 5, $0) }
        guard case .lead = outcome else {
            Issue.record("expected to lead after the dead holder's lock, got \(String(describing: outcome))")
            return
        }
    }
}
