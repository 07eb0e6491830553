import BallastCore
import Dispatch
import SharedState
import Redis
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A started client on a test's own redis-server, and helpers to wait for async replies.
struct RedisHarness {
    let server: RedisServer
    let client: RedisClient

    init() throws {
        server = try RedisServer()
        client = RedisClient(endpoint: server.endpoint)
        client.start()
        _ = Self.eventually { client.isUp }
    }

    func stop() {
        client.stop()
        server.stop()
    }

    /// Waits for the completion `body` hands its callback, up to `timeout`.
    static func await<T: Sendable>(timeout: Double = 2, _ body: (@escaping @Sendable (T) -> Void) -> Void) -> T? {
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<T?>(nil)
        body { value in
            box.withLock { $0 = value }
            done.signal()
        }
        _ = done.wait(timeout: .now() + timeout)
        return box.withLock { $0 }
    }

    static func eventually(timeout: Double = 3, _ check: () -> Bool) -> Bool {
        let end = SystemClock().now().adding(seconds: timeout)
        while SystemClock().now() < end {
            if check() { return true }
            usleep(5_000)
        }
        return check()
    }
}
