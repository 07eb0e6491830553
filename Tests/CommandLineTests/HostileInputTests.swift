import BallastTesting
import Foundation
import Synchronization
import Testing

/// The `ballast` binary on the inputs that crashed or hung it (docs/fuzzing.md): each must end with a
/// status and a `file:line:col` message, never a signal, never a hang. On the code before the
/// bounds, the parser cases died with SIGSEGV and the FIFO cases blocked forever.
/// Serialized: its subprocesses (or gateways) one at a time, not a burst beside the timing-
/// sensitive suites on a loaded 2-core machine.
@Suite(.serialized) struct HostileInputTests {
    /// A rule file whose `when:` (line 5, column 16 onwards) is `expression`.
    static func ruleFile(when expression: String) -> String {
        """
        groups:
          - name: g
            rules:
              - name: r
                when: "\(expression)"
                action: { circuit: open, target: { region: us } }

        """
    }

    static let regions = """
        upstream:
          regions:
            - { name: us, base_url: "http://127.0.0.1:1" }

        """

    /// Each deep `when:` (built here, so that the test's name stays short) and the message.
    static func deepExpression(_ name: String) -> (expression: String, message: String) {
        switch name {
        case "parentheses-10000":
            (
                String(repeating: "(", count: 10_000) + "error_ratio[1m] > 0.5" + String(repeating: ")", count: 10_000),
                ":5:80: the expression nests deeper than 64 levels"
            )
        case "not-20000":
            (String(repeating: "not ", count: 20_000) + "error_ratio[1m] > 0.5", ":5:272: the expression nests deeper than 64 levels")
        case "and-20000":
            (Array(repeating: "error_ratio[1m] > 0.5", count: 20_000).joined(separator: " and "), ":5:1650: the expression nests deeper than 64 levels")
        default:
            (String(repeating: "-", count: 20_000) + "1 > 0", ":5:80: the expression nests deeper than 64 levels")
        }
    }

    @Test(arguments: ["parentheses-10000", "not-20000", "and-20000", "negate-20000"])
    func rulesCheckRefusesADeepExpression(_ name: String) async throws {
        let (expression, message) = Self.deepExpression(name)
        let directory = try TemporaryDirectory("ballast-cli")
        defer { directory.remove() }
        let path = try directory.write("rule.yaml", Self.ruleFile(when: expression))
        let run = try await BallastRun.run(["rules", "check", path])
        #expect(run.ending == .exited(1), "\(name): \(run.ending) \(run.errors.suffix(300))")
        #expect(run.output.contains(path + message), "\(name): \(run.output.prefix(500))")
    }

    static func deepConfig(_ name: String) -> (yaml: String, message: String) {
        switch name {
        case "flow-brackets-20000":
            (
                "upstream: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "\n",
                ":1:266: nesting deeper than 256 levels"
            )
        case "flow-mappings-20000":
            (
                "listen: " + String(repeating: "{a: ", count: 20_000) + "1" + String(repeating: "}", count: 20_000) + "\n",
                ":1:1029: nesting deeper than 256 levels"
            )
        case "block-levels-3000":
            ("upstream:\n  regions:\n    " + String(repeating: "- ", count: 3_000) + "x\n", ":3:513: nesting deeper than 256 levels")
        default:
            ("upstream:\n  regions:\n    " + String(repeating: "- ", count: 20_000) + "x\n", ":3:513: nesting deeper than 256 levels")
        }
    }

    @Test(arguments: ["flow-brackets-20000", "flow-mappings-20000", "block-levels-3000", "block-levels-20000"])
    func aDeepConfigIsRefusedWithItsPosition(_ name: String) async throws {
        let (yaml, message) = Self.deepConfig(name)
        let directory = try TemporaryDirectory("ballast-cli")
        defer { directory.remove() }
        let path = try directory.write("config.yaml", yaml)
        for arguments in [["rules", "check", "--config", path], ["serve", "--config", path]] {
            let run = try await BallastRun.run(arguments)
            #expect(run.ending == .exited(2), "\(name) \(arguments[0]): \(run.ending) \(run.errors.suffix(300))")
            #expect(run.errors.contains(path + message), "\(name) \(arguments[0]): \(run.errors.prefix(500))")
        }
    }

    /// 3,000 block levels written with indentation (4.5 MB, 9 MB with a mapping in each
    /// sequence entry: the second crashed `serve` before) are refused by the size bound.
    @Test func anOversizedConfigIsRefusedByItsSize() async throws {
        let directory = try TemporaryDirectory("ballast-cli")
        defer { directory.remove() }
        let yaml = (0..<3_000).map { String(repeating: " ", count: 2 * $0) + "- k:\n" }.joined()
        let path = try directory.write("config.yaml", yaml)
        let run = try await BallastRun.run(["serve", "--config", path])
        #expect(run.ending == .exited(2), "\(run.ending) \(run.errors.suffix(300))")
        #expect(run.errors.contains("\(path):1:1: \(yaml.utf8.count) bytes, larger than the limit of 1 MiB"), "\(run.errors.prefix(500))")
    }

    /// `rules.paths` naming a device, a FIFO or a directory: an error naming the path, at once
    /// (before: /dev/zero was read until 17 GB of memory were gone; the FIFO blocked forever).
    @Test(arguments: [("device", "a character device"), ("fifo", "a FIFO"), ("directory", "a directory")])
    func rulePathsThatAreNotFilesAreErrors(kind: String, description: String) async throws {
        let directory = try TemporaryDirectory("ballast-cli")
        defer { directory.remove() }
        let target: String
        switch kind {
        case "device": target = "/dev/zero"
        case "fifo":
            target = directory.path("rules.fifo")
            #expect(mkfifo(target, 0o600) == 0)
        default: target = directory.path("")
        }
        let config = try directory.write("config.yaml", Self.regions + "rules:\n  paths: [\"\(target)\"]\n")
        let run = try await BallastRun.run(["rules", "check", "--config", config], deadline: 20)
        #expect(run.ending == .exited(1), "\(kind): \(run.ending) \(run.errors.suffix(300))")
        #expect(run.output.contains("\(target):1:1: not a regular file (\(description))"), "\(kind): \(run.output.prefix(500))")
        #expect(run.seconds < 10, "\(kind): \(run.seconds) s")
    }

    /// A config path that is a FIFO: an error at once. Before, `serve` blocked in `fopen` with
    /// SIGTERM blocked too, so nothing but SIGKILL stopped it.
    @Test func aConfigThatIsAFIFOIsAnErrorAtOnce() async throws {
        let directory = try TemporaryDirectory("ballast-cli")
        defer { directory.remove() }
        let fifo = directory.path("config.yaml")
        #expect(mkfifo(fifo, 0o600) == 0)
        for arguments in [["serve", "--config", fifo], ["rules", "check", "--config", fifo]] {
            let run = try await BallastRun.run(arguments, deadline: 20)
            #expect(run.ending == .exited(2), "\(arguments[0]): \(run.ending)")
            #expect(run.errors.contains("\(fifo):1:1: not a regular file (a FIFO)"), "\(arguments[0]): \(run.errors.prefix(500))")
        }
    }

    /// Credential and CA paths: a FIFO is an error naming the path, not a blocked start.
    @Test func aKeyOrCAFileThatIsAFIFOIsAnErrorAtOnce() async throws {
        let directory = try TemporaryDirectory("ballast-cli")
        defer { directory.remove() }
        let fifo = directory.path("secret")
        #expect(mkfifo(fifo, 0o600) == 0)
        let keyConfig = try directory.write(
            "key.yaml",
            """
            listen: 127.0.0.1:0
            admin: { listen: 127.0.0.1:0 }
            store: { path: "\(directory.path("ballast.db"))" }
            upstream:
              auth: { mode: static, api_key_file: "\(fifo)" }
              regions:
                - { name: us, base_url: "http://127.0.0.1:1" }

            """)
        let key = try await BallastRun.run(["serve", "--config", keyConfig], deadline: 20)
        #expect(key.ending == .exited(1), "\(key.ending)")
        #expect(key.errors.contains("\(fifo): not a regular file (a FIFO)"), "\(key.errors.prefix(500))")
        let caConfig = try directory.write(
            "ca.yaml",
            Self.regions + """
                shared:
                  redis:
                    url: "rediss://127.0.0.1:1"
                    tls: { ca_file: "\(fifo)" }

                """)
        let ca = try await BallastRun.run(["serve", "--config", caConfig], deadline: 20)
        #expect(ca.ending == .exited(2), "\(ca.ending)")
        #expect(ca.errors.contains("'shared.redis.tls.ca_file': \(fifo): not a regular file (a FIFO)"), "\(ca.errors.prefix(500))")
    }

    /// A command blocked in a read (`fingerprint` waits for a key on stdin, which never
    /// comes) ends on SIGTERM with status 143. Before, every command but `serve` and
    /// `simulate` had SIGTERM blocked and nobody waiting for it: the process ran on.
    @Test func aBlockedCommandEndsOnSIGTERM() async throws {
        let signalledAt = Mutex<Date?>(nil)
        let run = try await BallastRun.run(["fingerprint"], deadline: 20, input: .pipe) { process in
            // Sent once main has blocked SIGTERM (from then on it is never lost); before that
            // the default action would kill the process, which proves nothing.
            let until = Date().addingTimeInterval(10)
            while !Self.blocksSIGTERM(process.pid), Date() < until, process.isRunning { usleep(5_000) }
            signalledAt.withLock { $0 = Date() }
            process.terminate()
        }
        #expect(run.ending == .exited(128 + SIGTERM), "\(run.ending)")
        #expect(signalledAt.withLock { $0 }.map { Date().timeIntervalSince($0) } ?? .infinity < 15)
    }

    /// Whether the process' main thread has SIGTERM blocked (`SigBlk` in /proc/PID/status).
    static func blocksSIGTERM(_ pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigBlk:") }),
            let mask = UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << (UInt64(SIGTERM) - 1)) != 0
    }

    /// SIGTERM to a running `serve` drains and exits 0 promptly.
    @Test func serveStopsOnSIGTERM() async throws {
        let directory = try TemporaryDirectory("ballast-cli")
        defer { directory.remove() }
        let config = try directory.write(
            "config.yaml",
            """
            listen: 127.0.0.1:0
            admin: { listen: 127.0.0.1:0 }
            store: { path: "\(directory.path("ballast.db"))" }
            server: { drain_timeout: 1s }
            shutdown: { delay: 0s }
            upstream:
              auth: { mode: passthrough }
              regions:
                - { name: us, base_url: "http://127.0.0.1:1" }

            """)
        let ready = directory.path("ready.json")
        let signalledAt = Mutex<Date?>(nil)
        let run = try await BallastRun.run(["serve", "--config", config, "--ready-file", ready], deadline: 60) { process in
            let until = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: ready), Date() < until, process.isRunning { usleep(20_000) }
            signalledAt.withLock { $0 = Date() }
            process.terminate()
        }
        #expect(FileManager.default.fileExists(atPath: ready), "serve never became ready: \(run.errors.suffix(500))")
        #expect(run.ending == .exited(0), "\(run.ending) \(run.errors.suffix(500))")
        let stopSeconds = signalledAt.withLock { $0 }.map { Date().timeIntervalSince($0) } ?? .infinity
        #expect(stopSeconds < 15, "took \(stopSeconds) s to stop")
    }
}
