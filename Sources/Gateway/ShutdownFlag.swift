import Synchronization

/// Raised at the first stop signal; read by every `/readyz`. A class of its own so the
/// readiness check can hold it while `GatewayService` is still being built.
final class ShutdownFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    /// Raises the flag; true for the call that raised it.
    func raise() -> Bool {
        !raised.exchange(true, ordering: .relaxed)
    }

    var isRaised: Bool { raised.load(ordering: .relaxed) }
}
