import BallastCore
import SharedState
import Redis
import Testing

@Suite("Redis client against a real redis-server", .serialized)
struct RedisClientTests {
    @Test("commands pipeline and replies are converted")
    func roundTrip() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        #expect(redis.client.call(["SET", "k", "v"]) == .success(.status("OK")))
        #expect(redis.client.call(["GET", "k"]) == .success(.string(Array("v".utf8))))
        #expect(redis.client.call(["INCRBY", "n", "5"]) == .success(.integer(5)))
        #expect(redis.client.call(["GET", "missing"]) == .success(.null))
        guard case .success(.error(let message)) = redis.client.call(["NOSUCHCOMMAND"]) else {
            Issue.record("an unknown command must come back as Redis' error")
            return
        }
        #expect(message.contains("unknown command"))
    }

    @Test("a dead Redis fails commands at once, and the client reconnects when it returns")
    func downAndBack() throws {
        let redis = try RedisHarness()
        defer { redis.stop() }
        let port = redis.server.port
        redis.server.stop()
        #expect(RedisHarness.eventually { !redis.client.isUp || redis.client.call(["PING"], timeout: 0.5) != .success(.status("PONG")) })
        #expect(RedisHarness.eventually { !redis.client.isUp })
        #expect(redis.client.lastError != nil, "down without a recorded failure")
        let started = SystemClock().now()
        let result = redis.client.call(["PING"], timeout: 2)
        #expect(result == .failure(.down))
        #expect(SystemClock().now().seconds(since: started) < 0.05, "a down client must not make the caller wait")
        let again = try RedisServer(port: port)
        defer { again.stop() }
        #expect(RedisHarness.eventually(timeout: 5) { redis.client.isUp })
        #expect(redis.client.call(["PING"]) == .success(.status("PONG")))
    }

    @Test("a wrong password is refused and the client stays down, naming no secret")
    func wrongPassword() throws {
        let server = try RedisServer(password: "right-secret")
        defer { server.stop() }
        let client = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: server.port, password: "wrong-secret"))
        client.start()
        defer { client.stop() }
        // Evidence that it tried and was refused, not only that it is down (a client that
        // never connected is down too): Redis' own AUTH refusal, as the client recorded it.
        #expect(
            RedisHarness.eventually(timeout: 5) { client.lastError?.contains("WRONGPASS") == true },
            "the client should have connected and been refused: \(client.lastError ?? "no attempt recorded")")
        #expect(!client.isUp)
        #expect(!(client.lastError ?? "").contains("secret"))
        let good = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: server.port, password: "right-secret"))
        good.start()
        defer { good.stop() }
        #expect(RedisHarness.eventually { good.isUp })
        #expect(!"\(good.endpoint)".contains("secret"))
    }
}
