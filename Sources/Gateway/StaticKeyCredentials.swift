import BallastCore
import Synchronization

/// `static` mode: one configured API key replaces whatever key the client sent, so
/// applications can run without the real key. The key can be swapped at run time
/// (SIGHUP re-reads it) without a restart.
final class StaticKeyCredentials: UpstreamCredentials {
    private let key: Mutex<String>

    init(key: String) {
        self.key = Mutex(key)
    }

    func replaceKey(_ newKey: String) {
        key.withLock { $0 = newKey }
    }

    func apply(to upstream: inout HTTPHeaders, from client: HTTPHeaders) -> CredentialState {
        upstream.remove("authorization")
        upstream.set("x-api-key", key.withLock { $0 })
        return .ready
    }

    var modeName: String { "static" }

    var description: String { "static API key (redacted)" }
}
