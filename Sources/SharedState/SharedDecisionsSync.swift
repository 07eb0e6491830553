import BallastCore
import Dispatch
import Foundation
import Redis
import Synchronization
package import RulesRuntime
import BallastConfig

/// The rules' decisions shared by every instance (shared mode), in two Redis hashes that
/// announce their changes on one channel:
///
/// - `newest`: one field per circuit target holding its newest opening or closing, and one per
///   canary holding its newest state, by any instance (newest wins, as for overrides). Each
///   instance adopts a decision newer than the last it knows for that circuit or canary.
/// - `instances`: one field per instance holding its own degradation level and route shifts.
///   Each instance applies the most cautious of the live others' (instances that left the
///   membership do not count, and their fields are removed).
///
/// Every instance reads both on each announcement, on every reconnect and at each heartbeat;
/// with Redis out of reach it keeps what it last read for one membership ttl, then decides
/// alone again. Decisions made meanwhile are written when Redis returns.
package final class SharedDecisionsSync: RuleDecisionsObserver, Sendable {
    private let newest: SharedStateHash
    private let instances: SharedStateHash
    private let membership: SharedMembership
    private let instanceID: String
    private let clock: any TimeSource
    private let rules = Mutex<RuleController?>(nil)
    /// Per circuit or canary field: the newest decision known here (published or adopted).
    private let known = Mutex<[String: SharedEntry]>([:])
    /// Circuit and canary decisions made here that Redis has not confirmed yet.
    private let pending = Mutex<[String: SharedEntry]>([:])
    /// This instance's own decisions as last published.
    private let own = Mutex<InstanceDecisions>(InstanceDecisions())
    /// When the instances hash was last read (monotonic).
    private let lastRead = Mutex<MonotonicInstant?>(nil)
    let adopted = Atomic<Int>(0)
    let adoptedCanaries = Atomic<Int>(0)
    /// Where decisions read from Redis are applied: adopting a circuit runs an evaluation step,
    /// which must not hold up the Redis client's thread (and the leases waiting on it).
    private let applying = DispatchQueue(label: "ballast-shared-decisions")

    init(newest: SharedStateHash, instances: SharedStateHash, membership: SharedMembership, clock: any TimeSource) {
        self.newest = newest
        self.instances = instances
        self.membership = membership
        instanceID = membership.id
        self.clock = clock
    }

    /// Starts (a controller) or stops (nil) publishing its decisions and taking the others'.
    /// The controller and its migrations are given this sync as their observer when they are
    /// built (it exists first); it publishes what they tell it only while attached.
    package func attach(_ controller: RuleController?) {
        rules.withLock { $0 = controller }
    }

    private var isAttached: Bool { rules.withLock { $0 != nil } }

    // MARK: Decisions made here, out

    package func circuitDecided(_ decision: SharedCircuitDecision, at wall: Double) {
        guard isAttached else { return }
        var decision = decision
        decision.instance = instanceID
        publish(SharedEntry(field: "circuit:" + decision.target, setAt: wall, payload: Self.encode(decision)))
    }

    package func canaryChanged(_ state: CanaryState, at wall: Double) {
        guard isAttached else { return }
        let decision = SharedCanaryDecision(state: state, instance: instanceID)
        publish(SharedEntry(field: "canary:" + state.config.name, setAt: wall, payload: Self.encode(decision)))
    }

    /// Stamps `entry` later than every decision known here for its field, so a decision made
    /// after seeing another one wins over it even when this instance's clock is behind, then
    /// writes it.
    private func publish(_ entry: SharedEntry) {
        var entry = entry
        known.withLock { known in
            if let last = known[entry.field] { entry.setAt = max(entry.setAt, last.setAt + 0.001) }
            known[entry.field] = entry
        }
        pending.withLock { $0[entry.field] = entry }
        write(entry)
    }

    package func ownDecisionsChanged(_ decisions: InstanceDecisions) {
        guard isAttached else { return }
        let changed = own.withLock { own -> Bool in
            guard own != decisions else { return false }
            own = decisions
            return true
        }
        if changed { writeOwn() }
    }

    private func write(_ entry: SharedEntry) {
        newest.put(entry) { [self] delivered in
            guard delivered else { return }
            pending.withLock { pending in
                if pending[entry.field] == entry { pending[entry.field] = nil }
            }
        }
    }

    private func writeOwn() {
        let decisions = own.withLock { $0 }
        instances.put(SharedEntry(field: instanceID, setAt: clock.wallTime(), payload: Self.encode(decisions))) { _ in }
    }

    // MARK: Decisions made elsewhere, in

    /// Writes what is pending, then reads both hashes and applies what is new.
    func reconcile() {
        for entry in pending.withLock({ Array($0.values) }) { write(entry) }
        newest.fetchAll { [self] entries in
            guard let entries else { return }
            applying.async { self.adopt(entries) }
        }
        instances.fetchAll { [self] entries in
            applying.async { self.applyPeers(entries) }
        }
    }

    /// Adopts every circuit and canary decision newer than the last known here for its field,
    /// oldest first, skipping this instance's own and those still waiting to be written. What
    /// the hash lacks or holds older (Redis restarted empty, a write lost) is written again.
    private func adopt(_ entries: [SharedEntry]) {
        guard let controller = rules.withLock({ $0 }) else { return }
        let waiting = Set(pending.withLock { $0.keys })
        let stored = Dictionary(entries.map { ($0.field, $0.setAt) }, uniquingKeysWith: { max($0, $1) })
        let missing = known.withLock { known in
            known.values.filter { entry in !waiting.contains(entry.field) && stored[entry.field] ?? 0 < entry.setAt }
        }
        for entry in missing { write(entry) }
        for entry in entries.sorted(by: { $0.setAt < $1.setAt }) where !waiting.contains(entry.field) {
            let newer = known.withLock { known -> Bool in
                guard entry.setAt > known[entry.field]?.setAt ?? 0 else { return false }
                known[entry.field] = entry
                return true
            }
            guard newer else { continue }
            if entry.field.hasPrefix("canary:") {
                guard let decision = Self.decode(SharedCanaryDecision.self, entry.payload), decision.instance != instanceID,
                    let migrations = controller.migrations
                else { continue }
                if migrations.adopt(decision.state, from: decision.instance) { adoptedCanaries.add(1, ordering: .relaxed) }
                continue
            }
            guard let decision = Self.decode(SharedCircuitDecision.self, entry.payload), decision.instance != instanceID else { continue }
            if controller.adopt(decision) { adopted.add(1, ordering: .relaxed) }
        }
    }

    /// Applies the most cautious of the live other instances' own decisions; removes the fields
    /// of instances that left the membership over a ttl ago.
    private func applyPeers(_ entries: [SharedEntry]?) {
        guard let controller = rules.withLock({ $0 }) else { return }
        guard let entries else { return forgetIfStale(controller) }
        lastRead.withLock { $0 = clock.now() }
        let wall = clock.wallTime()
        let members = membership.current.map { Set($0.map(\.id)) }
        var peers = InstanceDecisions()
        var gone: [String] = []
        for entry in entries where entry.field != instanceID {
            if let members, members.contains(instanceID), !members.contains(entry.field) {
                if entry.setAt < wall - membership.ttl { gone.append(entry.field) }
                continue
            }
            if let theirs = Self.decode(InstanceDecisions.self, entry.payload) { peers = peers.merged(with: theirs) }
        }
        instances.remove(gone)
        controller.setPeerDecisions(peers)
    }

    /// With Redis out of reach for longer than a member's ttl, the others' decisions are
    /// too old to hold this instance back: it decides alone until Redis returns.
    private func forgetIfStale(_ controller: RuleController) {
        let last = lastRead.withLock { $0 }
        guard let last, clock.now().seconds(since: last) > membership.ttl else { return }
        controller.setPeerDecisions(InstanceDecisions())
    }

    /// Once per heartbeat: this instance's own field is written again (a field removed while
    /// its instance was briefly unseen comes back), then everything is read.
    func heartbeat() {
        writeOwn()
        reconcile()
    }

    /// A clean stop: this instance's decisions no longer hold the others back.
    func leave() {
        let done = DispatchSemaphore(value: 0)
        instances.remove([instanceID]) { _ in done.signal() }
        _ = done.wait(timeout: .now() + 0.5)
    }

    /// The other instances' highest level in force here (for the metrics).
    var peerLevel: Int { rules.withLock { $0 }?.peerDecisions.degradation ?? 0 }

    // MARK: Payloads

    private static func encode(_ value: some Encodable) -> String {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ payload: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(payload.utf8))
    }
}
