import Upstream

/// The calls that are going upstream now, so that news about a region reaches the ones with an
/// attempt stuck there (`CallMachine.Event.regionOut`) or waiting for a paced slot elsewhere
/// (`CallMachine.Event.regionBack`).
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

    /// `region`'s circuit closed: each call waiting for its paced slot looks whether the region
    /// takes it, the earliest slot (the longest waiting) first.
    package func regionCameBack(_ region: String) {
        LoopThread.preconditionOnLoop()
        let waiting = calls.values.compactMap { call in call.pacedDue.map { (call, $0) } }
        for (call, _) in waiting.sorted(by: { $0.1 < $1.1 }) { call.regionCameBack(region) }
    }
}
