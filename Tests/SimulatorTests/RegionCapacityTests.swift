import Foundation
@testable import BallastTesting
import Testing
@testable import BallastSimulator

/// Latency that grows with in-flight load beyond a region's capacity.
@Suite struct RegionCapacityTests {
    @Test func latencyGrowsInProportionToTheOverload() {
        #expect(LatencyPlan.overloadFactor(inFlight: 50, capacity: 0) == 1)
        #expect(LatencyPlan.overloadFactor(inFlight: 4, capacity: 4) == 1)
        #expect(LatencyPlan.overloadFactor(inFlight: 6, capacity: 4) == 1.5)
        let model = LatencyModel(firstByteMedian: 0.2, tokenInterval: 0.01, stall: StallModel(ratio: 0.5, duration: 3))
        let loaded = LatencyPlan.sample(model, draws: RequestDraws(stall: 0.9), overload: 2)
        #expect(abs(loaded.firstByte - 0.4) < 1e-9 && abs(loaded.tokenInterval - 0.02) < 1e-9)
        // A stall is a hang, not work: added unscaled.
        let stalled = LatencyPlan.sample(model, draws: RequestDraws(stall: 0.1), overload: 2)
        #expect(abs(stalled.firstByte - 3.4) < 1e-9)
        // Forced values stay as forced.
        let forced = LatencyPlan.sample(
            model, draws: RequestDraws(stall: 0.9), forcedFirstByte: 0.05,
            forcedTokenInterval: 0.001, overload: 2)
        #expect(forced == LatencyPlan(firstByte: 0.05, tokenInterval: 0.001))
    }

    @Test func onlyWorkTheBackendDoesCountsAsLoad() {
        #expect(RegionEngine.occupiesBackend(.none))
        #expect(RegionEngine.occupiesBackend(.streamError))
        #expect(RegionEngine.occupiesBackend(.reset))
        #expect(RegionEngine.occupiesBackend(.error(503)))
        // The edge answers these at once.
        #expect(!RegionEngine.occupiesBackend(.error(429)))
        #expect(!RegionEngine.occupiesBackend(.error(529)))
        #expect(!RegionEngine.occupiesBackend(.spendLimit))
    }

    @Test func aRequestBeyondCapacityIsSlowed() throws {
        // Capacity 1: while one stream runs, the next request shares the region and takes
        // twice its 300 ms first byte. Only a lower bound is checked: a slow machine can add
        // time, never take it away.
        let region = SimulatedRegionConfig(latency: LatencyModel(firstByteMedian: 0.3), capacity: 1)
        let simulator = try startSimulator(region)
        defer { simulator.stop() }
        let primary = try #require(simulator.region(named: "primary"))
        let url = primary.baseURL + "/v1/messages"
        let background = Thread {
            _ = try? Curl.request(
                url, json: messagesBody(stream: true),
                headers: [
                    "x-sim-first-byte-ms": "0", "x-sim-token-interval-ms": "100",
                    "x-sim-output-tokens": "25",
                ])
        }
        background.start()
        #expect(eventually { primary.engine.inFlight == 1 })
        let loaded = try Curl.request(
            url, json: messagesBody(), headers: ["x-sim-output-tokens": "1"],
            writeOut: "%{time_starttransfer}")
        #expect(loaded.status == 200)
        #expect((Double(loaded.writeOut) ?? 0) >= 0.6)
        // Every request leaves the count when its last byte is out.
        #expect(eventually(timeout: 10) { primary.engine.inFlight == 0 })
    }
}
