import Foundation

/// A certificate authority, a server certificate it signed for 127.0.0.1 and localhost, a
/// client certificate it signed, and a second authority that signed nothing here, made with
/// the `openssl` command (Debian's package; the Makefile installs it) in a directory of its own:
/// for a redis-server serving TLS in tests and benchmarks.
public struct TestCertificates: Sendable {
    public let directory: String

    public var authority: String { directory + "/ca.pem" }
    public var otherAuthority: String { directory + "/other-ca.pem" }
    public var serverCertificate: String { directory + "/server.pem" }
    public var serverKey: String { directory + "/server.key" }
    public var clientCertificate: String { directory + "/client.pem" }
    public var clientKey: String { directory + "/client.key" }

    /// - Parameter directory: where to write them; a new temporary directory when nil.
    public init(directory chosen: String? = nil) throws {
        let directory = chosen ?? NSTemporaryDirectory() + "ballast-tls-" + UUID().uuidString
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        let script = """
            set -e
            cd '\(directory)'
            openssl req -x509 \(key) -keyout ca.key -out ca.pem -days 2 -subj /CN=ballast-test-ca
            openssl req -x509 \(key) -keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=ballast-other-ca
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext
            openssl req \(key) -keyout server.key -out server.csr -subj /CN=localhost
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
            openssl req \(key) -keyout client.key -out client.csr -subj /CN=ballast-test-client
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2
            """
        let ending = try ChildProcess("/bin/sh", ["-c", script]).wait()
        guard ending == .exited(0) else {
            throw NSError(
                domain: "TestCertificates", code: Int(ending.status ?? -1),
                userInfo: [NSLocalizedDescriptionKey: "openssl could not make the test certificates"])
        }
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
