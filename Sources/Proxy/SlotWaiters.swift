import Upstream

/// Requests waiting for a concurrency slot, per region, first come first served.
///
/// Confined to the upstream loop thread, where permits are both taken and given back: each
/// attempt that ends wakes the longest waiter of its region at once (no polling).
final class SlotWaiters: @unchecked Sendable {
    private var queues: [String: [(call: ProxiedCall, resume: () -> Void)]] = [:]

    func enqueue(region: String, call: ProxiedCall, resume: @escaping () -> Void) {
        LoopThread.preconditionOnLoop()
        queues[region, default: []].append((call, resume))
    }

    /// Drops `call` from every queue (it gave up: timeout, client gone).
    func remove(_ call: ProxiedCall) {
        LoopThread.preconditionOnLoop()
        for region in queues.keys { queues[region]?.removeAll { $0.call === call } }
    }

    /// A slot of `region` was given back: the first waiter tries again.
    func wakeOne(region: String) {
        LoopThread.preconditionOnLoop()
        guard var queue = queues[region], !queue.isEmpty else { return }
        let first = queue.removeFirst()
        queues[region] = queue
        first.resume()
    }
}
