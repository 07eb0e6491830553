import BallastCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Deadlines libmicrohttpd cannot keep itself: a request's headers must be complete within
/// `headerTimeout` of the connection opening (or of its request line, for later requests on a
/// kept-alive connection), and its body must not stall for longer than `bodyIdleTimeout`.
///
/// MHD 0.9.75 offers only `MHD_OPTION_CONNECTION_TIMEOUT`, an idle timeout in whole seconds
/// that every byte resets: a client sending one header byte every 0.2 s is never idle, and
/// 300 such connections stayed open for 150 s (docs/configuration.md, "Input limits"). So a watchdog thread keeps one
/// deadline per connection and, when one passes, shuts the socket down; MHD then sees the end
/// of the stream on its own thread and closes the connection the usual way (completion and
/// close notifications included).
///
/// Soundness: the socket is shut down (never closed) under `entries`' lock, and MHD's close
/// notification removes the entry under the same lock before MHD closes the descriptor, so the
/// watchdog never touches a descriptor number that MHD has already given back.
final class ConnectionWatch: @unchecked Sendable {
    enum Reason: String {
        case headerTimeout = "header_timeout"
        case bodyIdleTimeout = "body_idle_timeout"
    }

    struct Entry {
        var fd: Int32
        var deadline: MonotonicInstant?
        var reason: Reason = .headerTimeout
        /// The request target exactly as the client sent it (percent-encoded, with the query),
        /// from MHD's URI log call-back; taken by the first access-handler call.
        var rawTarget: String?
    }

    private let headerTimeout: Double
    private let bodyIdleTimeout: Double
    private let refusals: RefusalCounts
    private let clock = SystemClock()
    /// Keyed by the connection's address (MHD's `struct MHD_Connection *`), valid from the start
    /// notification to the close notification.
    private let entries = Mutex<[UInt: Entry]>([:])
    private let running = Atomic<Bool>(false)
    private let generation = Atomic<Int>(0)

    init(headerTimeout: Double, bodyIdleTimeout: Double, refusals: RefusalCounts) {
        precondition(headerTimeout > 0 && bodyIdleTimeout > 0, "timeouts must be positive")
        self.headerTimeout = headerTimeout
        self.bodyIdleTimeout = bodyIdleTimeout
        self.refusals = refusals
    }

    /// How often the watchdog looks: a fifth of the shorter timeout, at most 0.1 s, so a
    /// deadline is kept to within 20% (10 s headers: closed by 10.1 s).
    var tick: Double { min(0.1, max(0.005, min(headerTimeout, bodyIdleTimeout) / 5)) }

    // MARK: From MHD's call-backs (its polling threads)

    func opened(_ pointer: UnsafeMutableRawPointer, fd: Int32) {
        let connection = UInt(bitPattern: pointer)
        let deadline = clock.now().adding(seconds: headerTimeout)
        entries.withLock { $0[connection] = Entry(fd: fd, deadline: deadline, reason: .headerTimeout) }
    }

    /// The request line arrived. A later request on a kept-alive connection starts its header
    /// deadline here; the first one keeps the deadline set when the connection opened.
    func requestLine(_ pointer: UnsafeMutableRawPointer, rawTarget: String) {
        let connection = UInt(bitPattern: pointer)
        let now = clock.now()
        entries.withLock { table in
            guard var entry = table[connection] else { return }
            if entry.deadline == nil {
                entry.deadline = now.adding(seconds: headerTimeout)
                entry.reason = .headerTimeout
            }
            entry.rawTarget = rawTarget
            table[connection] = entry
        }
    }

    /// The headers are complete: from now on only a stalled body is cut.
    func headersComplete(_ pointer: UnsafeMutableRawPointer, expectsBody: Bool) -> String? {
        let connection = UInt(bitPattern: pointer)
        let now = clock.now()
        return entries.withLock { table -> String? in
            guard var entry = table[connection] else { return nil }
            let raw = entry.rawTarget
            entry.rawTarget = nil
            entry.deadline = expectsBody ? now.adding(seconds: bodyIdleTimeout) : nil
            entry.reason = .bodyIdleTimeout
            table[connection] = entry
            return raw
        }
    }

    func bodyProgress(_ pointer: UnsafeMutableRawPointer) {
        let connection = UInt(bitPattern: pointer)
        let deadline = clock.now().adding(seconds: bodyIdleTimeout)
        entries.withLock { table in
            guard table[connection]?.deadline != nil else { return }
            table[connection]?.deadline = deadline
        }
    }

    /// The request is received (or answered): no deadline until the next request line.
    func idle(_ pointer: UnsafeMutableRawPointer) {
        let connection = UInt(bitPattern: pointer)
        entries.withLock { table in
            guard table[connection] != nil else { return }
            table[connection]?.deadline = nil
        }
    }

    func closed(_ pointer: UnsafeMutableRawPointer) {
        let connection = UInt(bitPattern: pointer)
        entries.withLock { _ = $0.removeValue(forKey: connection) }
    }

    // MARK: The watchdog

    func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let mine = generation.wrappingAdd(1, ordering: .relaxed).newValue
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed), generation.load(ordering: .relaxed) == mine {
                sweep(now: clock.now())
                usleep(UInt32(tick * 1_000_000))
            }
        }
        thread.name = "ballast-http-deadlines"
        thread.start()
    }

    func stop() {
        running.store(false, ordering: .relaxed)
    }

    func sweep(now: MonotonicInstant) {
        entries.withLock { table in
            for (connection, entry) in table {
                guard let deadline = entry.deadline, deadline <= now else { continue }
                // Shut down, not closed: MHD still owns the descriptor and closes it itself.
                _ = shutdown(entry.fd, Int32(SHUT_RDWR))
                table[connection]?.deadline = nil
                refusals.add(entry.reason.rawValue)
            }
        }
    }
}
