import Synchronization

/// The live counters behind `SimulatorStats`, updated from server and timer threads.
final class StatsRecorder: Sendable {
    private let stats = Mutex(SimulatorStats())

    var snapshot: SimulatorStats { stats.withLock { $0 } }

    func update(_ change: (inout SimulatorStats) -> Void) {
        stats.withLock { change(&$0) }
    }

    func received() { update { $0.requestsReceived += 1 } }

    func responded(status: Int, bytes: Int) {
        update {
            $0.responsesByStatus[status, default: 0] += 1
            $0.bytesSent += Int64(bytes)
        }
    }

    func sent(bytes: Int) { update { $0.bytesSent += Int64(bytes) } }

    func reset() { update { $0.resets += 1 } }
}
