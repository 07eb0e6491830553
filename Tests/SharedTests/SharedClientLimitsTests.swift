import BallastCore
import SharedState
import Redis
import Testing
import Synchronization

@Suite("Shared client limits: one key's buckets and spend in Redis for every instance", .serialized)
struct SharedClientLimitsTests {
    static let day: Int64 = 20_000

    private func admit(
        _ limits: SharedClientLimits, name: String = "team", perMinute: [Double?] = [6, nil, 1000],
        input: Double = 10, output: Double = 100, budget: Double? = nil
    ) -> SharedClientLimits.Verdict? {
        RedisHarness.await { done in
            limits.admit(name: name, limits: perMinute, input: input, output: output, budget: budget, day: Self.day) { done($0) }
        } ?? nil
    }

    @Test("two instances admit from one bucket per key, and another key has its own")
    func twoInstancesShareOneKeysBucket() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        let second = RedisClient(endpoint: redis.server.endpoint)
        second.start()
        defer { second.stop() }
        #expect(RedisHarness.eventually { second.isUp })
        let a = SharedClientLimits(client: redis.client, keyPrefix: "t:")
        let b = SharedClientLimits(client: second, keyPrefix: "t:")
        var admitted = 0
        for index in 0..<10 where admit(index % 2 == 0 ? a : b)?.kind == .admitted { admitted += 1 }
        // Six a minute: the burst of six, then one every 10 s.
        #expect(admitted == 6)
        guard case .rateLimited(let dimension, let wait)? = admit(b)?.kind else {
            Issue.record("expected a refusal")
            return
        }
        #expect(dimension == 0)
        #expect(wait > 9 && wait <= 10)
        #expect(admit(a, name: "other")?.kind == .admitted)
    }

    @Test("output is charged from max_tokens and refunded; the day's spend reaches the budget")
    func refundsAndBudget() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        let limits = SharedClientLimits(client: redis.client, keyPrefix: "t:")
        let first = admit(limits, perMinute: [nil, nil, 250], output: 200, budget: 300)
        #expect(first?.kind == .admitted)
        #expect(first?.spent == 210)
        #expect(admit(limits, perMinute: [nil, nil, 250], output: 200, budget: 300)?.kind != .admitted)
        // It used 20 of its 200: 180 come back to the bucket and the spend is 30.
        limits.settle(name: "team", limits: [nil, nil, 250], inputRefund: 0, outputRefund: 180, spendChange: -180, day: Self.day)
        let second = admit(limits, perMinute: [nil, nil, 250], output: 200, budget: 300)
        #expect(second?.kind == .admitted)
        #expect(second?.spent == 240)
        // Without the output limit only the budget counts: 240 spent admits one more, then no more today.
        #expect(admit(limits, perMinute: [nil, nil, nil], output: 200, budget: 300)?.kind == .admitted)
        #expect(admit(limits, perMinute: [nil, nil, nil], output: 200, budget: 300)?.kind == .overBudget)
        #expect(limits.failures.load(ordering: .relaxed) == 0)
    }
}
