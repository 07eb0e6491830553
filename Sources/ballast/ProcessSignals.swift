import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide signal set-up, done once by the executable before any thread starts:
/// SIGPIPE is ignored (a closed socket is an error code, not a death), and the signals
/// Ballast acts on are blocked in every thread so that one thread can `sigwait` for them.
enum ProcessSignals {
    static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    static func prepare() {
        signal(SIGPIPE, SIG_IGN)
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// For commands without a graceful stop: a thread that ends the process on SIGINT or
    /// SIGTERM with the shell's conventional status.
    static func exitOnTermination() {
        Thread.detachNewThread {
            while true {
                let received = wait()
                if received != SIGHUP { exit(128 + received) }
            }
        }
    }

    /// Blocks the calling thread until one of the handled signals arrives.
    static func wait() -> Int32 {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        var received: Int32 = 0
        sigwait(&set, &received)
        return received
    }
}
