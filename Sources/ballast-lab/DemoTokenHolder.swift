import Synchronization

/// The unprotected application's bearer token. Like many applications it fetches a token,
/// trusts it until the lifetime it was told has passed, and does nothing about a 401 but
/// report it: the demo renews it when that lifetime ends, at the end of the token phase.
final class DemoTokenHolder: Sendable {
    private let token: Mutex<String>

    init(token: String) {
        self.token = Mutex(token)
    }

    var current: String { token.withLock { $0 } }

    func replace(with value: String) {
        token.withLock { $0 = value }
    }
}
