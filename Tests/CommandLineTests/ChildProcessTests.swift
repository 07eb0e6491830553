import BallastTesting
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The child processes every test and the lab start (`Foundation.Process` crashes: see
/// `ChildProcess`).
@Suite struct ChildProcessTests {
    @Test func anExitStatusAndASignalAreToldApart() throws {
        #expect(try ChildProcess.run("/bin/sh", ["-c", "exit 3"]).ending == .exited(3))
        #expect(try ChildProcess.run("/bin/sh", ["-c", "kill -9 $$"]).ending == .signalled(SIGKILL))
    }

    @Test func outputLargerThanAPipeIsReadOnBothPipesAtOnce() throws {
        let megabyte = 1 << 20
        let outcome = try ChildProcess.run(
            "/bin/sh", ["-c", "head -c \(megabyte) /dev/zero >&2; head -c \(megabyte) /dev/zero; echo"], errors: .pipe)
        #expect(outcome.ending == .exited(0))
        #expect(outcome.output.count == megabyte + 1)
        #expect(outcome.errors.count == megabyte)
    }

    @Test func errorsCanGoWhereTheOutputGoes() throws {
        let outcome = try ChildProcess.run("/bin/sh", ["-c", "echo out; echo err >&2; echo out"], errors: .sameAsOutput)
        #expect(outcome.outputText == "out\nerr\nout\n")
    }

    @Test func standardInputFromAPipe() throws {
        let child = try ChildProcess("/bin/cat", input: .pipe, output: .pipe)
        let input = try #require(child.input)
        input.write(Data("hello\n".utf8))
        try input.close()
        let outcome = child.collect()
        #expect(outcome.ending == .exited(0))
        #expect(outcome.outputText == "hello\n")
    }

    @Test func anAddedVariableReachesTheChildOnly() throws {
        let outcome = try ChildProcess.run("/usr/bin/env", environment: ["BALLAST_CHILD_PROCESS_TEST": "added"])
        let lines = outcome.outputText.split(separator: "\n")
        #expect(lines.contains("BALLAST_CHILD_PROCESS_TEST=added"))
        #expect(lines.contains { $0.hasPrefix("PATH=") }, "the parent's variables are kept")
        #expect(getenv("BALLAST_CHILD_PROCESS_TEST") == nil)
    }

    @Test func theChildStartsInTheDirectoryGiven() throws {
        let directory = try TemporaryDirectory("child-process")
        defer { directory.remove() }
        let outcome = try ChildProcess.run("/bin/pwd", ["-P"], directory: directory.url.path)
        #expect(outcome.outputText == directory.url.resolvingSymlinksInPath().path + "\n")
    }

    /// Test processes block SIGTERM; a child must not inherit that (it would ignore `terminate()`),
    /// nor a descriptor the parent opened without O_CLOEXEC.
    @Test func theChildGetsAnEmptySignalMaskAndNoStrayDescriptor() throws {
        let stray = open("/dev/null", O_RDONLY)
        defer { close(stray) }
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        let child = try ChildProcess(
            "/bin/sh", ["-c", "grep SigBlk /proc/self/status; test -e /proc/self/fd/\(stray) && echo open || echo closed"],
            output: .pipe)
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        let outcome = child.collect()
        #expect(outcome.outputText == "SigBlk:\t0000000000000000\nclosed\n")
    }

    @Test func aKilledChildIsReapedAndLeavesNoZombie() throws {
        let child = try ChildProcess("/bin/sleep", ["60"])
        #expect(child.isRunning)
        child.kill()
        #expect(child.wait() == .signalled(SIGKILL))
        #expect(!child.isRunning)
        #expect(waitpid(child.pid, nil, WNOHANG) == -1 && errno == ECHILD, "not reaped")
        child.terminate()  // after the reaping: no signal to a pid that may be someone else's now
    }

    @Test func isRunningRemembersTheStatusItReaped() throws {
        let child = try ChildProcess("/bin/sh", ["-c", "exit 7"])
        let until = Date().addingTimeInterval(10)
        while child.isRunning, Date() < until { usleep(2_000) }
        #expect(!child.isRunning)
        #expect(child.wait() == .exited(7))
    }

    @Test func aMissingExecutableOrDirectoryIsAClearError() throws {
        let missing = #expect(throws: ChildProcessError.self) { try ChildProcess("/no/such/program") }
        #expect(missing?.description == "cannot run /no/such/program: No such file or directory")
        let nowhere = #expect(throws: ChildProcessError.self) { try ChildProcess("/bin/true", directory: "/no/such/directory") }
        #expect(nowhere?.description == "cannot run /bin/true in /no/such/directory: No such file or directory")
    }
}
