import Dispatch
import Foundation
public import Synchronization

/// A Redis client whose round trips happen on its own thread: `send` queues a command and
/// returns at once; the worker pipelines whatever is queued (one round trip per batch) and
/// calls each completion on its thread.
///
/// Redis failing never blocks a caller: while the client is down (not yet connected, or a
/// command timed out), `send` completes at once with `.down` and the worker reconnects with
/// a doubling backoff (100 ms to 2 s). `isUp` and `onStateChange` tell the shared-state logic
/// when to fall back to local decisions and when to reconcile.
public final class RedisClient: Sendable {
    public let endpoint: RedisEndpoint
    public let maxQueued: Int
    private let queue = Mutex<[RedisCommand]>([])
    private let wake = DispatchSemaphore(value: 0)
    private let up = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let listeners = Mutex<[@Sendable (Bool) -> Void]>([])
    /// Round trips made (one per pipelined batch) and commands sent, for the metrics.
    public let roundTrips = Atomic<Int>(0)
    public let commands = Atomic<Int>(0)
    public let failures = Atomic<Int>(0)

    public init(endpoint: RedisEndpoint, maxQueued: Int = 10_000) {
        self.endpoint = endpoint
        self.maxQueued = max(1, maxQueued)
    }

    /// True while connected and the last round trip succeeded.
    public var isUp: Bool { up.load(ordering: .acquiring) }

    /// Why the last connection attempt or round trip failed (nil while connected): for the
    /// operator's log line; it never holds the password.
    public var lastError: String? { lastFailure.withLock { $0 } }
    private let lastFailure = Mutex<String?>(nil)

    /// Called on the worker thread at every transition: true when (re)connected, false when lost.
    public func onStateChange(_ listener: @escaping @Sendable (Bool) -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    /// Starts the worker thread; it connects at once.
    public func start() {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread { [self] in run() }
        thread.name = "ballast-redis"
        thread.start()
    }

    /// Stops the worker; queued commands complete with `.stopped`.
    public func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        wake.signal()
        finished.wait()
    }

    /// Queues a command. The completion runs on the worker thread, or at once on the caller's
    /// when the client is down or overloaded.
    public func send(_ arguments: [String], _ completion: @escaping @Sendable (Result<RedisReply, RedisError>) -> Void) {
        send(bytes: arguments.map { Array($0.utf8) }, completion)
    }

    public func send(bytes arguments: [[UInt8]], _ completion: @escaping @Sendable (Result<RedisReply, RedisError>) -> Void) {
        guard running.load(ordering: .relaxed) else { return completion(.failure(.stopped)) }
        guard isUp else { return completion(.failure(.down)) }
        let accepted = queue.withLock { queue -> Bool in
            guard queue.count < maxQueued else { return false }
            queue.append(RedisCommand(arguments: arguments, completion: completion))
            return true
        }
        guard accepted else { return completion(.failure(.overloaded)) }
        wake.signal()
    }

    /// Sends and waits for the reply, up to `timeout` seconds. Never for the request path:
    /// tests, the CLI and background threads.
    public func call(_ arguments: [String], timeout: Double = 1) -> Result<RedisReply, RedisError> {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<RedisReply, RedisError>>(.failure(.io("timed out waiting for the reply")))
        send(arguments) { reply in
            result.withLock { $0 = reply }
            done.signal()
        }
        _ = done.wait(timeout: .now() + timeout)
        return result.withLock { $0 }
    }

    // MARK: Worker

    private func run() {
        var connection: RedisConnection?
        var backoff = 0.1
        while running.load(ordering: .relaxed) {
            if connection == nil {
                do {
                    connection = try RedisConnection(endpoint)
                    backoff = 0.1
                    lastFailure.withLock { $0 = nil }
                    setUp(true)
                } catch {
                    lastFailure.withLock { $0 = "\(error)" }
                    setUp(false)
                    failQueued(.down)
                    _ = wake.wait(timeout: .now() + backoff)
                    backoff = min(2, backoff * 2)
                    continue
                }
            }
            _ = wake.wait(timeout: .now() + 0.5)
            let batch = queue.withLock { queue -> [RedisCommand] in
                let taken = Array(queue.prefix(512))
                queue.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty, let open = connection else { continue }
            do {
                let replies = try open.pipeline(batch.map(\.arguments))
                roundTrips.add(1, ordering: .relaxed)
                commands.add(batch.count, ordering: .relaxed)
                for (command, reply) in zip(batch, replies) { command.completion(.success(reply)) }
            } catch {
                failures.add(1, ordering: .relaxed)
                lastFailure.withLock { $0 = "\(error)" }
                connection = nil
                setUp(false)
                for command in batch { command.completion(.failure(error)) }
                failQueued(error)
            }
        }
        failQueued(.stopped)
        // Stopped, not down: the listeners (the "shared backend down" warning) are not told.
        up.store(false, ordering: .releasing)
        finished.signal()
    }

    private func failQueued(_ error: RedisError) {
        let pending = queue.withLock { queue -> [RedisCommand] in
            defer { queue.removeAll() }
            return queue
        }
        for command in pending { command.completion(.failure(error)) }
    }

    private func setUp(_ value: Bool) {
        guard up.exchange(value, ordering: .acquiringAndReleasing) != value else { return }
        for listener in listeners.withLock({ $0 }) { listener(value) }
    }
}
