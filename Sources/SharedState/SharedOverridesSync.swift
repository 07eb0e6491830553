package import BallastCore
import Foundation
package import Rules
import Redis
import Synchronization
package import RulesRuntime

/// Operator overrides shared by every instance: each local change is written, field by
/// field, to a Redis hash (newest wins) and announced on a channel; every instance reads the
/// hash on each announcement, on every reconnect and once per heartbeat, and takes what is
/// newer than its own. Fields: `region:NAME`, `circuit:TARGET`, `degradation`; a cleared
/// override is a tombstone with the time of its clearing, so a clear propagates too.
/// Writes made while Redis was out of reach are kept and written on its return.
package final class SharedOverridesSync: OverridesObserver, Sendable {
    private let hash: SharedStateHash
    private let clock: any TimeSource
    private let rules = Mutex<RuleController?>(nil)
    /// Fields written locally that Redis has not confirmed yet.
    private let pending = Mutex<[String: SharedEntry]>([:])
    let applied = Atomic<Int>(0)
    /// The newest stamp seen here, written or read: a Lamport clock over the overrides.
    private let newestStamp = Mutex<Double>(0)

    package init(hash: SharedStateHash, clock: any TimeSource) {
        self.hash = hash
        self.clock = clock
    }

    /// Starts (a controller) or stops (nil) publishing its overrides and taking the others'.
    /// The controller is given this sync as its observer when it is built (the sync exists
    /// first); it publishes only while attached.
    package func attach(_ controller: RuleController?) {
        rules.withLock { $0 = controller }
    }

    private var isAttached: Bool { rules.withLock { $0 != nil } }

    // MARK: Local changes out

    package func stamp(_ wall: Double) -> Double {
        newestStamp.withLock { newest in
            newest = max(wall, newest + 0.001)
            return newest
        }
    }

    private func saw(_ stamp: Double) {
        newestStamp.withLock { $0 = max($0, stamp) }
    }

    package func overridesChanged(from old: OperatorOverrides, to new: OperatorOverrides) {
        let wall = clock.wallTime()
        let before = Self.fields(old)
        let after = Self.fields(new)
        var entries: [SharedEntry] = []
        for (field, override) in after where before[field] != override {
            entries.append(SharedEntry(field: field, setAt: override.setAt, payload: Self.encode(override)))
        }
        for field in before.keys where after[field] == nil {
            entries.append(SharedEntry(field: field, setAt: stamp(max(wall, before[field]!.setAt)), payload: Self.tombstone))
        }
        for entry in entries { saw(entry.setAt) }
        // Stamps keep counting while detached; only what goes to Redis waits for a controller.
        guard isAttached else { return }
        pending.withLock { pending in for entry in entries { pending[entry.field] = entry } }
        for entry in entries { write(entry) }
    }

    private func write(_ entry: SharedEntry) {
        hash.put(entry) { [self] delivered in
            guard delivered else { return }
            pending.withLock { pending in
                if pending[entry.field] == entry { pending[entry.field] = nil }
            }
        }
    }

    // MARK: Shared state in

    /// Writes what is pending, then reads the hash and takes what is newer; local overrides
    /// the hash lacks or holds older (Redis restarted empty, a write lost) are written again.
    func reconcile() {
        for entry in pending.withLock({ Array($0.values) }) { write(entry) }
        hash.fetchAll { [self] entries in
            guard let entries, let controller = rules.withLock({ $0 }) else { return }
            for entry in entries { saw(entry.setAt) }
            let wall = clock.wallTime()
            let waiting = Set(pending.withLock { $0.keys })
            var republish: [SharedEntry] = []
            let changed = controller.mergeSharedOverrides(source: "shared") { local in
                republish = []
                return Self.merge(local: local, entries: entries, pendingFields: waiting, wall: wall, republish: &republish)
            }
            if changed { applied.add(1, ordering: .relaxed) }
            for entry in republish { write(entry) }
        }
    }

    /// The local overrides with every newer shared field applied; fields where the local side
    /// is newer (or the hash has nothing) are collected in `republish`.
    static func merge(
        local: OperatorOverrides, entries: [SharedEntry], pendingFields: Set<String>, wall: Double,
        republish: inout [SharedEntry]
    ) -> OperatorOverrides {
        var result = local
        let localFields = fields(local)
        var seen = Set<String>()
        for entry in entries where !pendingFields.contains(entry.field) {
            seen.insert(entry.field)
            let mine = localFields[entry.field]
            if let mine, mine.setAt > entry.setAt {
                republish.append(SharedEntry(field: entry.field, setAt: mine.setAt, payload: encode(mine)))
                continue
            }
            var theirs = decode(entry.payload)
            if let override = theirs, override.isExpired(at: wall) { theirs = nil }
            guard theirs != mine else { continue }
            apply(theirs, field: entry.field, to: &result)
        }
        for (field, mine) in localFields where !seen.contains(field) && !pendingFields.contains(field) {
            republish.append(SharedEntry(field: field, setAt: mine.setAt, payload: encode(mine)))
        }
        return result
    }

    // MARK: Fields

    static let tombstone = #"{"cleared":true}"#

    static func fields(_ overrides: OperatorOverrides) -> [String: OperatorOverride] {
        var fields: [String: OperatorOverride] = [:]
        for (name, override) in overrides.regions { fields["region:" + name] = override }
        for (key, override) in overrides.circuits { fields["circuit:" + key] = override }
        if let degradation = overrides.degradation { fields["degradation"] = degradation }
        return fields
    }

    private static func apply(_ override: OperatorOverride?, field: String, to overrides: inout OperatorOverrides) {
        if field.hasPrefix("region:") {
            let name = String(field.dropFirst("region:".count))
            if let override { overrides.setRegion(name, override) } else { overrides.clearRegion(name) }
        } else if field.hasPrefix("circuit:"), let target = CircuitTarget(parsing: String(field.dropFirst("circuit:".count))) {
            if let override { overrides.setCircuit(target, override) } else { overrides.clearCircuit(target) }
        } else if field == "degradation" {
            overrides.setDegradation(override)
        }
    }

    static func encode(_ override: OperatorOverride) -> String {
        (try? JSONEncoder().encode(override)).map { String(decoding: $0, as: UTF8.self) } ?? tombstone
    }

    static func decode(_ payload: String) -> OperatorOverride? {
        try? JSONDecoder().decode(OperatorOverride.self, from: Data(payload.utf8))
    }
}
