import Synchronization

/// Raised at the first stop signal; read by every `/readyz`. A class of its own so the
/// readiness check can hold it while `GatewayService` is still being built.
package final class ShutdownFlag: Sendable {
    package init() {}

    private let raised = Atomic<Bool>(false)

    /// Raises the flag; true for the call that raised it.
    package func raise() -> Bool {
        !raised.exchange(true, ordering: .relaxed)
    }

    var isRaised: Bool { raised.load(ordering: .relaxed) }
}
