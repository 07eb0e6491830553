import BallastCore
@testable import Gateway
import Rules
import SharedState
import Redis
import Testing
@testable import RulesRuntime

/// The pieces of the shared-mode syncs that decide without Redis: how the others' decisions
/// combine, and how overrides are stamped so that newest wins causally.
@Suite struct SharedSyncTests {
    @Test func theMostCautiousOfTheInstancesDecisionsHolds() {
        let a = InstanceDecisions(degradation: 1, removed: ["eu": 0.25, "us": 1])
        let b = InstanceDecisions(degradation: 2, removed: ["eu": 0.5])
        #expect(a.merged(with: b) == InstanceDecisions(degradation: 2, removed: ["eu": 0.5, "us": 1]))
        #expect(a.merged(with: InstanceDecisions()) == a)
        #expect(InstanceDecisions().isEmpty)
    }

    @Test func anOverrideSetAfterSeeingANewerOneIsStampedAfterItWhateverTheClock() {
        // A client that was never started: every write fails at once, nothing waits.
        let client = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: 1))
        let sync = SharedOverridesSync(hash: SharedStateHash(client: client, hashKey: "k", channel: "c"), clock: SystemClock())
        #expect(sync.stamp(100) == 100)
        #expect(sync.stamp(100) == 100.001)
        // Another instance's override from a clock 50 s ahead, seen here.
        var theirs = OperatorOverrides()
        theirs.setDegradation(
            OperatorOverride(
                action: .degrade, target: "degradation", value: 1, reason: "r", actor: "operator:x",
                setAt: 150, expiresAt: nil))
        sync.overridesChanged(from: OperatorOverrides(), to: theirs)
        #expect(sync.stamp(120) > 150)
        #expect(sync.stamp(200) == 200)
    }
}
