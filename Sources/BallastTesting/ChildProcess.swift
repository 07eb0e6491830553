import CSpawn
public import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`: what the tests and `ballast-lab` run (curl,
/// promtool, openssl, redis-server, `ballast` itself, the SDK driver).
///
/// It exists because `Foundation.Process` must not be used here: in swift-corelibs-foundation
/// up to Swift 6.3.1, `Process.run()` copies all 256 bytes of a `readdir` record's `d_name`
/// in `findMaximumOpenFromProcSelfFD()` though the record is only `d_reclen` long; when it
/// ends a page before an unmapped one, the copy faults (SIGSEGV in memcpy, about one run in
/// five of a suite that spawns children). Fixed upstream by swift-corelibs-foundation PR
/// #5472; this type can go once the toolchain has that fix (Tests/layout keeps `Process` out
/// until then).
///
/// The child starts with an empty signal mask and default signal actions (test processes
/// block SIGTERM), in `directory` through `posix_spawn_file_actions_addchdir_np` (glibc 2.29
/// and later), with the parent's environment plus `environment` handed over as its own array
/// (the parent's is never changed: `setenv` raced with spawning on another thread), and with
/// no descriptor of the parent beyond 0, 1 and 2. `executable` is a path: no `PATH` search.
public final class ChildProcess: Sendable {
    public enum Input: Sendable {
        /// `/dev/null`: the child reads end-of-file at once.
        case null
        /// A pipe whose writing end is `input`; the child sees end-of-file once it is closed.
        case pipe
    }

    public enum Output: Sendable {
        /// `/dev/null`.
        case null
        /// A pipe that `collect()` reads to its end.
        case pipe
        /// This file (a dup of its descriptor).
        case file(FileHandle)
        /// Whatever this process has there.
        case inherit
        /// For `errors`: where the output goes (`2>&1`).
        case sameAsOutput
    }

    public enum Ending: Equatable, Sendable, CustomStringConvertible {
        /// Exited with this status.
        case exited(Int32)
        /// Killed by this signal.
        case signalled(Int32)

        /// The exit status, nil when a signal ended it.
        public var status: Int32? {
            if case .exited(let status) = self { return status }
            return nil
        }

        public var description: String {
            switch self {
            case .exited(let status): "status \(status)"
            case .signalled(let signal): "signal \(signal)"
            }
        }

        /// From a `waitpid` status (WIFEXITED, WEXITSTATUS and WTERMSIG are macros Swift cannot call).
        init(waitStatus: Int32) {
            self = waitStatus & 0x7f == 0 ? .exited((waitStatus >> 8) & 0xff) : .signalled(waitStatus & 0x7f)
        }
    }

    /// What `collect()` gathered: the ending and everything written to the `.pipe` outputs.
    public struct Outcome: Sendable {
        public var ending: Ending
        public var output: Data
        public var errors: Data

        public var outputText: String { String(decoding: output, as: UTF8.self) }
        public var errorsText: String { String(decoding: errors, as: UTF8.self) }
    }

    public let pid: Int32
    /// The writing end of the child's standard input, for `.pipe`.
    public let input: FileHandle?
    /// The reading ends of the `.pipe` outputs (-1 for none) until `collect()` takes them.
    private let pipes: Mutex<(output: Int32, errors: Int32)>
    /// Set once the child is reaped, which happens only under this lock: while it is nil, `pid`
    /// is still this child's (a zombie at worst), so a signal never reaches a reused pid.
    private let ending = Mutex<Ending?>(nil)

    public init(
        _ executable: String, _ arguments: [String] = [], directory: String? = nil, environment: [String: String] = [:],
        input: Input = .null, output: Output = .null, errors: Output = .null
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The child's ends of the pipes, closed here once it has them; the parent's ends,
        // closed here too if the spawn fails.
        var childEnds: [Int32] = []
        var parentEnds: [Int32] = []
        defer { childEnds.forEach { close($0) } }
        do {
            var inputEnd: Int32 = -1
            switch input {
            case .null:
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            case .pipe:
                let (read, write) = try Self.pipe(executable)
                childEnds.append(read)
                parentEnds.append(write)
                posix_spawn_file_actions_adddup2(&actions, read, 0)
                inputEnd = write
            }
            var readEnds: [Int32] = [-1, -1]
            for (index, output) in [output, errors].enumerated() {
                let target = Int32(index + 1)
                switch output {
                case .null:
                    posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
                case .pipe:
                    let (read, write) = try Self.pipe(executable)
                    childEnds.append(write)
                    parentEnds.append(read)
                    posix_spawn_file_actions_adddup2(&actions, write, target)
                    readEnds[index] = read
                case .file(let handle):
                    posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
                case .inherit:
                    break
                case .sameAsOutput:
                    posix_spawn_file_actions_adddup2(&actions, 1, target)
                }
            }
            ballast_spawn_addclosefrom(&actions, 3)
            if let directory { ballast_spawn_addchdir(&actions, directory) }

            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var signals = sigset_t()
            sigemptyset(&signals)
            posix_spawnattr_setsigmask(&attributes, &signals)
            sigfillset(&signals)
            posix_spawnattr_setsigdefault(&attributes, &signals)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

            let variables = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
            var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
            var envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { (argv + envp).forEach { free($0) } }
            var pid: pid_t = 0
            let failure = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
            guard failure == 0 else {
                throw ChildProcessError(
                    what: "cannot run \(executable)" + (directory.map { " in \($0)" } ?? ""), code: failure)
            }
            self.pid = pid
            self.input = inputEnd < 0 ? nil : FileHandle(fileDescriptor: inputEnd, closeOnDealloc: true)
            pipes = Mutex((readEnds[0], readEnds[1]))
        } catch {
            parentEnds.forEach { close($0) }
            throw error
        }
    }

    deinit {
        let (output, errors) = pipes.withLock { $0 }
        if output >= 0 { close(output) }
        if errors >= 0 { close(errors) }
        _ = reaped()
    }

    /// Starts `executable` and collects it: its ending and its `.pipe` outputs.
    public static func run(
        _ executable: String, _ arguments: [String] = [], directory: String? = nil, environment: [String: String] = [:],
        output: Output = .pipe, errors: Output = .null
    ) throws -> Outcome {
        try ChildProcess(executable, arguments, directory: directory, environment: environment, output: output, errors: errors).collect()
    }

    /// Reads the `.pipe` outputs to their end, both at once (a child blocked on a full pipe
    /// never exits), then waits for the child to exit. Call it once; it blocks until the child
    /// and everything it started have closed the pipes.
    public func collect() -> Outcome {
        let (output, errors) = pipes.withLock { ends in
            defer { ends = (-1, -1) }
            return ends
        }
        let data = Self.readToEnd([output, errors])
        return Outcome(ending: wait(), output: data[0], errors: data[1])
    }

    /// Blocks until the child has exited, and reaps it.
    @discardableResult
    public func wait() -> Ending {
        while true {
            if let ending = reaped() { return ending }
            // Waits for the exit without reaping, so the reaping stays under the lock.
            var info = siginfo_t()
            _ = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT)
        }
    }

    /// `wait()` on a thread of its own, so a long-running child does not hold one of the
    /// cooperative pool's few threads.
    public func waitDetached() async -> Ending {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.wait()) }
        }
    }

    /// Whether the child has not exited yet (it is reaped, and its ending kept, when it has).
    public var isRunning: Bool { reaped() == nil }

    /// SIGTERM, unless the child has been reaped already.
    public func terminate() { send(SIGTERM) }

    /// SIGKILL, unless the child has been reaped already.
    public func kill() { send(SIGKILL) }

    public func send(_ signal: Int32) {
        ending.withLock { ending in
            if ending == nil { _ = Glibc.kill(pid, signal) }
        }
    }

    /// The ending if the child has exited, reaping it then.
    private func reaped() -> Ending? {
        ending.withLock { ending in
            if ending == nil {
                var status: Int32 = 0
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid {
                    ending = Ending(waitStatus: status)
                } else if reaped < 0 && errno == ECHILD {
                    // Reaped by someone else (SIGCHLD ignored?): its status is lost.
                    ending = .exited(-1)
                }
            }
            return ending
        }
    }

    private static func pipe(_ executable: String) throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard ballast_pipe_cloexec(&ends) == 0 else {
            throw ChildProcessError(what: "cannot make a pipe for \(executable)", code: errno)
        }
        return (ends[0], ends[1])
    }

    /// Everything read from each descriptor (-1: none) until its end, which closes it.
    private static func readToEnd(_ descriptors: [Int32]) -> [Data] {
        var data = descriptors.map { _ in Data() }
        var polled = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while polled.contains(where: { $0.fd >= 0 }) {
            // A negative fd is skipped by poll.
            guard poll(&polled, nfds_t(polled.count), -1) > 0 else { continue }
            for index in polled.indices where polled[index].fd >= 0 && polled[index].revents != 0 {
                let count = read(polled[index].fd, &chunk, chunk.count)
                if count > 0 {
                    data[index].append(contentsOf: chunk[0..<count])
                } else if count == 0 || errno != EINTR {
                    close(polled[index].fd)
                    polled[index].fd = -1
                }
            }
        }
        return data
    }
}

/// A child process that could not be started: what was tried and the system's reason.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let what: String
    public let code: Int32

    public var description: String { "\(what): \(String(cString: strerror(code)))" }
}
