import Resilience
import Synchronization

/// One admitted request of a client key: what it was charged, to be settled exactly once
/// when the answer's usage is known (or when nothing reached the upstream).
package final class ClientTicket: Sendable {
    let name: String
    let charged: RequestCost
    /// Whether Redis admitted it (then Redis gets the refund), and the UTC day it was charged to.
    let sharedDay: Int64?
    private let gate: ClientGate
    private let settled = Atomic<Bool>(false)

    init(name: String, charged: RequestCost, sharedDay: Int64?, gate: ClientGate) {
        self.name = name
        self.charged = charged
        self.sharedDay = sharedDay
        self.gate = gate
    }

    /// The key's own `anthropic-ratelimit-*` headers, for its answers.
    var rateLimitHeaders: [(name: String, value: String)] { gate.rateLimitHeaders(for: name) }

    /// The answer used these tokens (zeros when it never reached the upstream or was served
    /// from the cache). Later calls are ignored.
    func settle(inputTokens: Int, outputTokens: Int) {
        guard !settled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        gate.settle(self, used: RequestCost(inputTokens: Double(inputTokens), outputTokens: Double(outputTokens)))
    }
}
