import BallastTesting
import Foundation
import Synchronization

/// The built `ballast` binary run as a subprocess, with a deadline: the outcome of a command an
/// operator would type, exit status and output included.
struct BallastRun {
    enum Ending: Equatable {
        /// Exited with this status.
        case exited(Int32)
        /// Killed by this signal (a crash: SIGSEGV is 11, SIGABRT 6).
        case signalled(Int32)
        /// Still running at the deadline; killed then.
        case timedOut
    }

    var ending: Ending
    var output: String
    var errors: String
    /// Seconds from launch to exit.
    var seconds: Double

    /// The `ballast` next to the test bundle (both are built by `swift build --build-tests`),
    /// or `BALLAST_BIN`.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["BALLAST_BIN"] { return path }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("ballast").path
    }

    /// Runs `ballast arguments...`; `whileRunning` is called with the process once it started.
    /// `input`: the process' standard input (default: empty; `.pipe` keeps it open and unwritten
    /// until the process ended). The waiting happens on a thread of its own: blocked on a
    /// thread of Swift's cooperative pool (two on this machine), it stalled every async test of
    /// the run meanwhile. `environment`: variables added to this process' environment for the
    /// child only: `setenv` in a test raced with spawning on another thread and crashed a CI run.
    static func run(
        _ arguments: [String], deadline: Double = 30, directory: String? = nil, input: ChildProcess.Input = .null,
        environment: [String: String] = [:],
        whileRunning: (@Sendable (ChildProcess) throws -> Void)? = nil
    ) async throws -> BallastRun {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        try runWaiting(
                            arguments, deadline: deadline, directory: directory, input: input, environment: environment,
                            whileRunning: whileRunning)
                    })
            }
        }
    }

    private static func runWaiting(
        _ arguments: [String], deadline: Double, directory: String?, input: ChildProcess.Input,
        environment: [String: String],
        whileRunning: (@Sendable (ChildProcess) throws -> Void)?
    ) throws -> BallastRun {
        let started = Date()
        let process = try ChildProcess(
            binary, arguments, directory: directory, environment: environment, input: input, output: .pipe, errors: .pipe)
        // Output and errors are read as the process writes them, so a full pipe never stalls it.
        let collected = Collected(process)
        do {
            try whileRunning?(process)
        } catch {
            process.kill()
            _ = collected.outcome()
            throw error
        }
        let timedOut = !collected.finished(within: deadline)
        if timedOut { process.kill() }
        let outcome = collected.outcome()
        var ending: Ending
        switch outcome.ending {
        case .exited(let status): ending = .exited(status)
        case .signalled(let signal): ending = .signalled(signal)
        }
        if timedOut { ending = .timedOut }
        return BallastRun(
            ending: ending, output: outcome.outputText, errors: outcome.errorsText, seconds: Date().timeIntervalSince(started))
    }
}

/// A child process collected on a thread of its own.
final class Collected: Sendable {
    private let result = Mutex<ChildProcess.Outcome?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ process: ChildProcess) {
        Thread.detachNewThread { [self] in
            let outcome = process.collect()
            result.withLock { $0 = outcome }
            done.signal()
        }
    }

    /// Whether the process ended and closed its pipes within `seconds`.
    func finished(within seconds: Double) -> Bool {
        guard done.wait(timeout: .now() + seconds) == .success else { return false }
        done.signal()
        return true
    }

    /// The outcome, once the process ended.
    func outcome() -> ChildProcess.Outcome {
        done.wait()
        done.signal()
        return result.withLock { $0! }
    }
}
