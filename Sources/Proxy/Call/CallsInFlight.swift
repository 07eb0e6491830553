import Upstream

/// The calls that are going upstream now, so that news about a region reaches the ones with an
/// attempt stuck there (`CallMachine.Event.regionOut`).
///
/// Confined to the upstream loop thread, where calls start and finish and where the news is
/// posted, like `SlotWaiters`.
package final class CallsInFlight: @unchecked Sendable {
    private var calls: [ObjectIdentifier: ProxiedCall] = [:]

    func add(_ call: ProxiedCall) {
        LoopThread.preconditionOnLoop()
        calls[ObjectIdentifier(call)] = call
    }

    func remove(_ call: ProxiedCall) {
        LoopThread.preconditionOnLoop()
        calls[ObjectIdentifier(call)] = nil
    }

    /// `region`'s circuit opened: each call waiting there for a first byte may move.
    package func regionWentOut(_ region: String) {
        LoopThread.preconditionOnLoop()
        for call in Array(calls.values) { call.regionWentOut(region) }
    }
}
