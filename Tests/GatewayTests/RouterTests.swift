import BallastCore
import Gateway
import Testing
@testable import Resilience

@Suite struct RouterTests {
    @Test func smoothWeightedRoundRobinInterleaves() {
        let router = Router(regions: [
            Region(name: "a", baseURL: "http://a", weight: 5),
            Region(name: "b", baseURL: "http://b", weight: 1),
            Region(name: "c", baseURL: "http://c", weight: 1),
        ])
        let picks = (0..<7).compactMap { _ in router.pick()?.name }
        #expect(picks == ["a", "a", "b", "a", "c", "a", "a"])
    }

    @Test func standbyOnlyWhenWeightedRegionsAreExcluded() {
        let router = Router(regions: [
            Region(name: "primary", baseURL: "http://p", weight: 100),
            Region(name: "standby", baseURL: "http://s", weight: 0),
        ])
        #expect((0..<10).allSatisfy { _ in router.pick()?.name == "primary" })
        #expect(router.pick(excluding: ["primary"])?.name == "standby")
        #expect(router.pick(excluding: ["primary", "standby"]) == nil)
    }
}
