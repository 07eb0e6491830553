import Synchronization

/// A curl exit code handed from a background run to the test thread.
final class ExitCodeBox: Sendable {
    private let value = Mutex<Int32?>(nil)

    func set(_ code: Int32) { value.withLock { $0 = code } }

    func get() -> Int32? { value.withLock { $0 } }
}
