import BallastCore
import Telemetry
import Testing

@Suite("Telemetry counts")
struct TelemetryCountsTests {
    @Test("outcomes are indexed like OutcomeClass.allCases, and merging equals adding")
    func outcomesAndMerge() {
        var generator = RecordGenerator(seed: 21)
        var all = TelemetryCounts()
        var halves = [TelemetryCounts(), TelemetryCounts()]
        var perClass: [OutcomeClass: Int] = [:]
        for index in 0..<500 {
            let (record, attempts) = generator.record(completingAt: 1_700_000_000)
            all.add(record, attempts: attempts)
            halves[index % 2].add(record, attempts: attempts)
            perClass[record.outcome, default: 0] += 1
        }
        for (position, outcome) in OutcomeClass.allCases.enumerated() {
            #expect(all.outcomes[position] == perClass[outcome, default: 0])
            #expect(all.count(outcome) == perClass[outcome, default: 0])
        }
        #expect(all.count([.upstream, .local]) == perClass[.upstream, default: 0] + perClass[.local, default: 0])
        var merged = halves[0]
        merged.merge(halves[1])
        #expect(abs(merged.latencySum - all.latencySum) < 1e-6 * all.latencySum)
        merged.latencySum = all.latencySum
        merged.ttfbSum = all.ttfbSum
        #expect(merged == all)
        #expect(all.requests == 500)
        #expect(all.latency.total == 500)
    }
}
