#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which thread is an upstream loop thread, for the classes confined to one (`ProxiedCall`,
/// `Attempt`, `SlotWaiters`, `CallsInFlight`, the transfer delegates): they hold mutable
/// state without a lock, which is only sound while every entry point runs on the loop.
///
/// `preconditionOnLoop()` checks that in debug builds (the tests) and costs nothing in
/// release ones: it is an `assert`, whose condition is not even evaluated there.
public enum LoopThread {
    /// The thread-specific slot a loop thread marks itself with. Never deleted: one per process.
    private static let marker: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-specific key left")
        return key
    }()

    /// Marks the calling thread as an upstream loop thread (`UpstreamClient`'s own thread).
    static func markCurrent() {
        pthread_setspecific(marker, UnsafeRawPointer(bitPattern: 1))
    }

    /// True on an upstream loop thread.
    public static var isCurrent: Bool { pthread_getspecific(marker) != nil }

    /// Stops a debug build when called off the loop thread: a data race caught where it starts.
    @inline(__always)
    public static func preconditionOnLoop(_ what: @autoclosure () -> String = "", file: StaticString = #fileID, line: UInt = #line) {
        assert(isCurrent, "called off the upstream loop thread \(what())", file: file, line: line)
    }
}
