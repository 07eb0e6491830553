import Synchronization
package import RulesRuntime

/// Where the request path finds the rule controller; empty until it is started, and in
/// tests that run without rules.
package final class RulesSlot: Sendable {
    private let slot = Mutex<RuleController?>(nil)

    var controller: RuleController? { slot.withLock { $0 } }

    package func install(_ controller: RuleController) {
        slot.withLock { $0 = controller }
    }
}
