import BallastCore
import Resilience
import Testing

/// A 429 without rate-limit headers is the limit group's only when every region of the group
/// answered one lately; one region's own 429s are that region's failure.
@Suite struct ThrottleWitnessTests {
    @Test func oneRegionsThrottleIsItsOwn() {
        var witness = ThrottleWitness()
        let group: Set<String> = ["east", "west"]
        var groupWide = witness.headerless429(region: "east", group: group, now: t(0))
        #expect(!groupWide)
        groupWide = witness.headerless429(region: "east", group: group, now: t(1))
        #expect(!groupWide)
        // West too, within the window: the group is throttled.
        groupWide = witness.headerless429(region: "west", group: group, now: t(3))
        #expect(groupWide)
        // East's last one is now older than the window: west alone again.
        groupWide = witness.headerless429(region: "west", group: group, now: t(6.5))
        #expect(!groupWide)
    }

    @Test func aRegionAloneInItsGroupSpeaksForIt() {
        var witness = ThrottleWitness()
        let groupWide = witness.headerless429(region: "solo", group: ["solo"], now: t(0))
        #expect(groupWide)
    }

    @Test func regionsNoLongerInTheGroupAreForgotten() {
        var witness = ThrottleWitness()
        _ = witness.headerless429(region: "old", group: ["old", "east"], now: t(0))
        let groupWide = witness.headerless429(region: "east", group: ["east", "west"], now: t(1))
        #expect(!groupWide)
    }
}
