package import BallastCore
import Synchronization

/// `static` mode: one configured API key replaces whatever key the client sent, so
/// applications can run without the real key. The key can be swapped at run time
/// (SIGHUP re-reads it) without a restart.
package final class StaticKeyCredentials: UpstreamCredentials {
    private let key: Mutex<String>

    package init(key: String) {
        self.key = Mutex(key)
    }

    package func replaceKey(_ newKey: String) {
        key.withLock { $0 = newKey }
    }

    package func apply(to upstream: inout HTTPHeaders, from client: HTTPHeaders) -> CredentialState {
        upstream.remove("authorization")
        upstream.set("x-api-key", key.withLock { $0 })
        return .ready
    }

    package var modeName: String { "static" }

    package var description: String { "static API key (redacted)" }
}
