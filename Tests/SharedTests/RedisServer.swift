import BallastTesting
import Foundation
import SharedState
import Redis
#if canImport(Glibc)
import Glibc
#endif

/// A real `redis-server` for one test, on a free loopback port, without persistence; stopped
/// by `stop()`. Started by the test itself (the Makefile's deps install the package).
final class RedisServer: @unchecked Sendable {
    let port: Int
    private var pid: pid_t

    /// - Parameters:
    ///   - port: a fixed port (a restart on the same one), else a free one.
    ///   - password: `requirepass`, when set.
    ///   - tls: serve TLS only (on `port`) with these files; `clientCertificates` asks clients
    ///     for a certificate signed by the same authority.
    init(port fixed: Int? = nil, password: String? = nil, tls: TestCertificates? = nil, clientCertificates: Bool = false) throws {
        for _ in 0..<5 {
            let port = try fixed ?? LoopbackPort.free()
            let listen =
                tls.map { files in
                    [
                        "--port", "0", "--tls-port", String(port), "--tls-cert-file", files.serverCertificate,
                        "--tls-key-file", files.serverKey, "--tls-ca-cert-file", files.authority,
                        "--tls-auth-clients", clientCertificates ? "yes" : "no",
                    ]
                } ?? ["--port", String(port)]
            let arguments =
                [Self.binary] + listen + [
                    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--daemonize", "no", "--loglevel", "warning", "--logfile", "/dev/null",
                ]
                + (password.map { ["--requirepass", $0] } ?? [])
            guard let pid = Self.spawn(arguments) else { continue }
            if Self.waitUntilListening(port: port, pid: pid) {
                self.port = port
                self.pid = pid
                return
            }
            Self.kill(pid)
        }
        throw NSError(domain: "RedisServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "redis-server did not start"])
    }

    var endpoint: RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port) }

    /// Kills the server at once (SIGKILL: nothing to save, and the test's blocked signals
    /// must not matter) and reaps it.
    func stop() {
        guard pid > 0 else { return }
        Self.kill(pid)
        pid = 0
    }

    deinit { stop() }

    static var binary: String {
        for path in ["/usr/bin/redis-server", "/usr/local/bin/redis-server"] where FileManager.default.fileExists(atPath: path) {
            return path
        }
        return "/usr/bin/redis-server"
    }

    /// Starts `arguments` with a clean signal mask (test processes may block SIGTERM).
    private static func spawn(_ arguments: [String]) -> pid_t? {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Its output goes nowhere: an inherited pipe would keep the test's reader waiting.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, environ) == 0 else { return nil }
        return pid
    }

    private static func kill(_ pid: pid_t) {
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    private static func waitUntilListening(port: Int, pid: pid_t) -> Bool {
        for _ in 0..<200 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return false }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if connected == 0 { return true }
            usleep(10_000)
        }
        return false
    }
}
