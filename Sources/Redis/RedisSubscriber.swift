import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A pub/sub connection on its own thread: subscribes to `channels` and hands every message
/// to `handler`. It waits on the socket with `poll` (200 ms at a time, so `stop` is prompt)
/// and reads only what has arrived; after a failure it reconnects with a doubling backoff and
/// calls `onSubscribed` again, so the owner re-reads what it may have missed meanwhile.
public final class RedisSubscriber: Sendable {
    public let endpoint: RedisEndpoint
    public let channels: [String]
    private let handler: @Sendable (String, [UInt8]) -> Void
    private let onSubscribed: @Sendable () -> Void
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    public init(
        endpoint: RedisEndpoint, channels: [String], onSubscribed: @escaping @Sendable () -> Void,
        handler: @escaping @Sendable (String, [UInt8]) -> Void
    ) {
        self.endpoint = endpoint
        self.channels = channels
        self.onSubscribed = onSubscribed
        self.handler = handler
    }

    public func start() {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread { [self] in run() }
        thread.name = "ballast-redis-sub"
        thread.start()
    }

    public func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        finished.wait()
    }

    private func run() {
        var backoff = 0.1
        while running.load(ordering: .relaxed) {
            do {
                let connection = try RedisConnection(endpoint)
                try connection.append([Array("SUBSCRIBE".utf8)] + channels.map { Array($0.utf8) })
                for _ in channels { _ = try connection.readReply() }
                backoff = 0.1
                onSubscribed()
                try listen(connection)
            } catch {
                var remaining = backoff
                while remaining > 0, running.load(ordering: .relaxed) {
                    usleep(50_000)
                    remaining -= 0.05
                }
                backoff = min(2, backoff * 2)
            }
        }
        finished.signal()
    }

    private func listen(_ connection: RedisConnection) throws(RedisError) {
        while running.load(ordering: .relaxed) {
            var descriptor = pollfd(fd: connection.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 200)
            if ready < 0, errno == EINTR { continue }
            guard ready >= 0 else { throw .io("poll failed") }
            guard ready > 0 else { continue }
            if descriptor.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0, descriptor.revents & Int16(POLLIN) == 0 {
                throw .io("connection closed")
            }
            try connection.fill()
            while let reply = try connection.bufferedReply() {
                guard let items = reply.array, items.count == 3, items[0].text == "message",
                    let channel = items[1].text, let payload = items[2].bytes
                else { continue }
                handler(channel, payload)
            }
        }
    }
}
