import BallastCore
@testable import BallastTesting
import Testing
@testable import BallastSimulator

/// Correlated faults: bad stretches drawn from the seed, stepped with explicit times.
@Suite struct FaultEpisodeTests {
    let model = FaultEpisodeModel(ratePerHour: 60, meanDuration: 30, faults: FaultOverride(errorRatios: [503: 1]))

    private func episodes(_ model: FaultEpisodeModel, seed: UInt64, seconds: Int) -> [FaultEpisode] {
        var timeline = FaultEpisodeTimeline(model: model, seed: seed)
        var seen: [FaultEpisode] = []
        for second in 0..<seconds {
            if let episode = timeline.episode(at: Double(second)), seen.last != episode { seen.append(episode) }
        }
        return seen
    }

    @Test func sameSeedSameEpisodes() {
        let first = episodes(model, seed: 5, seconds: 7_200)
        #expect(first == episodes(model, seed: 5, seconds: 7_200))
        #expect(first != episodes(model, seed: 6, seconds: 7_200))
        #expect(first.count > 40)
        // Starts healthy; episodes never overlap.
        #expect(first.allSatisfy { $0.start > 0 && $0.end >= $0.start })
        #expect(zip(first, first.dropFirst()).allSatisfy { $0.end <= $1.start })
    }

    @Test func episodesCoverTheExpectedShareOfTime() {
        // Healthy gaps of 60 s on average, episodes of 30 s: a third of the time is bad.
        var timeline = FaultEpisodeTimeline(model: model, seed: 9)
        let seconds = 400_000
        var bad = 0
        for second in 0..<seconds where timeline.episode(at: Double(second)) != nil { bad += 1 }
        #expect(abs(Double(bad) / Double(seconds) - 1.0 / 3) < 0.02)
        var never = FaultEpisodeTimeline(model: FaultEpisodeModel(ratePerHour: 0, meanDuration: 30), seed: 9)
        #expect(never.episode(at: 1_000_000) == nil)
    }

    @Test func aRetryDuringAnEpisodeMeetsTheSameFault() throws {
        let clock = ManualClock()
        let config = try SimulatorConfig.parse(
            """
            seed: 3
            regions:
              - name: a
                episodes:
                  - { rate_per_hour: 120, mean_duration: 20s, faults: { error_ratio: { "503": 1 } } }
              - name: b
            """)
        let simulator = Simulator(config: config, clock: clock)
        try simulator.start()
        defer { simulator.stop() }
        let a = try #require(simulator.region(named: "a"))
        let url = a.baseURL + "/v1/messages"
        #expect(try Curl.request(url, json: messagesBody()).status == 200)
        var steps = 0
        while a.effectiveFaults.errorRatios[503] != 1, steps < 3_600 {
            clock.advance(seconds: 0.5)
            steps += 1
        }
        #expect(a.effectiveFaults.errorRatios[503] == 1)
        // Every try inside the stretch fails alike, not a fresh healthy draw.
        for _ in 0..<3 { #expect(try Curl.request(url, json: messagesBody()).status == 503) }
        // Another region is healthy meanwhile.
        #expect(
            try Curl.request(
                try #require(simulator.region(named: "b")).baseURL + "/v1/messages",
                json: messagesBody()
            ).status == 200)
        while a.effectiveFaults.errorRatios[503] == 1 { clock.advance(seconds: 0.5) }
        #expect(try Curl.request(url, json: messagesBody()).status == 200)

        // The same seed replays the same stretches.
        func badTimes(_ simulator: Simulator, clock: ManualClock) -> [Int] {
            (0..<1_200).compactMap { step in
                defer { clock.advance(seconds: 1) }
                return simulator.regions[0].effectiveFaults.errorRatios[503] == 1 ? step : nil
            }
        }
        let clockOne = ManualClock()
        let clockTwo = ManualClock()
        let one = badTimes(Simulator(config: config, clock: clockOne), clock: clockOne)
        let two = badTimes(Simulator(config: config, clock: clockTwo), clock: clockTwo)
        #expect(!one.isEmpty)
        #expect(one == two)
    }

    @Test func aModelScopedEpisodeHitsOnlyItsModel() throws {
        let clock = ManualClock()
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                regions:
                  - name: a
                    episodes:
                      - { rate_per_hour: 3600, mean_duration: 1h, models: ["claude-opus-*"], faults: { error_ratio: { "529": 1 } } }
                """), clock: clock)
        try simulator.start()
        defer { simulator.stop() }
        // One start a second on average and an hour long: by a minute in, it is bad.
        clock.advance(seconds: 60)
        let url = try #require(simulator.region(named: "a")).baseURL + "/v1/messages"
        #expect(try Curl.request(url, json: messagesBody(model: "claude-opus-4-1")).status == 529)
        #expect(try Curl.request(url, json: messagesBody(model: "claude-sonnet-4-5")).status == 200)
        // The region as a whole (a decision before the body is read) is not in the episode.
        #expect(simulator.regions[0].effectiveFaults.errorRatios.isEmpty)
    }
}
