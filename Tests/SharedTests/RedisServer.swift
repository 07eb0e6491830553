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
    private var process: ChildProcess?

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
                listen + [
                    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--daemonize", "no", "--loglevel", "warning", "--logfile", "/dev/null",
                ]
                + (password.map { ["--requirepass", $0] } ?? [])
            // Its output goes nowhere (the default): an inherited pipe would keep a reader waiting.
            guard let process = try? ChildProcess(Self.binary, arguments) else { continue }
            if Self.waitUntilListening(port: port, process: process) {
                self.port = port
                self.process = process
                return
            }
            Self.kill(process)
        }
        throw NSError(domain: "RedisServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "redis-server did not start"])
    }

    var endpoint: RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port) }

    /// Kills the server at once (SIGKILL: nothing to save) and reaps it.
    func stop() {
        guard let process else { return }
        Self.kill(process)
        self.process = nil
    }

    deinit { stop() }

    static var binary: String {
        for path in ["/usr/bin/redis-server", "/usr/local/bin/redis-server"] where FileManager.default.fileExists(atPath: path) {
            return path
        }
        return "/usr/bin/redis-server"
    }

    private static func kill(_ process: ChildProcess) {
        process.kill()
        process.wait()
    }

    private static func waitUntilListening(port: Int, process: ChildProcess) -> Bool {
        for _ in 0..<200 {
            if !process.isRunning { return false }
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
