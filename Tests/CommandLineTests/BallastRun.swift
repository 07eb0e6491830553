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
    /// `input`: the process' standard input (default: empty). The waiting happens on a thread
    /// of its own: blocked on a thread of Swift's cooperative pool (two on this machine), it
    /// stalled every async test of the run meanwhile. `environment`: variables added to this
    /// process' environment for the child only: `setenv` in a test raced with `Process.run()`
    /// copying the environment on another thread and crashed a CI run (a bad pointer in memcpy).
    static func run(
        _ arguments: [String], deadline: Double = 30, directory: String? = nil, input: Pipe? = nil,
        environment: [String: String] = [:],
        whileRunning: (@Sendable (Process) throws -> Void)? = nil
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
        _ arguments: [String], deadline: Double, directory: String?, input: Pipe?,
        environment: [String: String],
        whileRunning: (@Sendable (Process) throws -> Void)?
    ) throws -> BallastRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input ?? FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        let started = Date()
        try process.run()
        // Drained as the process writes, so a full pipe never stalls it.
        let outputText = Drain(output.fileHandleForReading)
        let errorText = Drain(errors.fileHandleForReading)
        try whileRunning?(process)
        var ending: Ending
        if done.wait(timeout: .now() + deadline) == .timedOut {
            process.interrupt()
            kill(process.processIdentifier, SIGKILL)
            done.wait()
            ending = .timedOut
        } else {
            ending = process.terminationReason == .uncaughtSignal ? .signalled(process.terminationStatus) : .exited(process.terminationStatus)
        }
        let seconds = Date().timeIntervalSince(started)
        return BallastRun(ending: ending, output: outputText.text(), errors: errorText.text(), seconds: seconds)
    }
}

/// Reads a pipe to its end on a thread of its own.
final class Drain: Sendable {
    private let bytes = Mutex(Data())
    private let finished = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            let all = handle.readDataToEndOfFile()
            bytes.withLock { $0 = all }
            finished.signal()
        }
    }

    /// Everything written, once the writer closed the pipe (at most 10 s after it exited).
    func text() -> String {
        _ = finished.wait(timeout: .now() + 10)
        return String(decoding: bytes.withLock { $0 }, as: UTF8.self)
    }
}
