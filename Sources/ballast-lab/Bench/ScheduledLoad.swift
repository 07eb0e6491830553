import BallastTesting
import Foundation
import Upstream
import BallastSimulator
import Histogram

/// The "unprotected" way of the resilience benchmarks: `LoadGenerator` (open loop, no
/// retries) over an `ArrivalSchedule`. The generator takes one fixed rate, so each segment is
/// its own run, started at the segment's offset; runs overlap while a segment's stragglers
/// finish, which keeps the arrivals open-loop across segment boundaries.
struct ScheduledLoad: Sendable {
    let client: UpstreamClient

    /// - Parameter makeRequest: request `index` of segment `segment` (the same numbering
    ///   `bench/sdk_load.py` uses, so both build the same prompts).
    func run(
        _ schedule: ArrivalSchedule, seed: UInt64, drain: Double,
        makeRequest: @escaping @Sendable (_ segment: Int, _ index: Int) -> UpstreamRequest
    ) async -> LoadReport {
        let generator = LoadGenerator(client: client)
        let origin = ContinuousClock.now
        let runs = await withTaskGroup(of: (began: Double, report: LoadReport).self) { group in
            for (number, segment) in schedule.segments.enumerated() where segment.rate > 0 {
                let offset = schedule.start(of: number)
                group.addTask {
                    try? await Task.sleep(until: origin + .milliseconds(Int64(offset * 1000)), clock: .continuous)
                    let began = Self.seconds(ContinuousClock.now - origin)
                    let plan = LoadPlan(
                        rate: segment.rate, duration: segment.seconds, drainTimeout: drain,
                        seed: seed &+ UInt64(number)
                    ) { index, _ in makeRequest(number, index) }
                    return (began, await generator.run(plan))
                }
            }
            var runs: [(began: Double, report: LoadReport)] = []
            for await run in group { runs.append(run) }
            return runs
        }
        return Self.merge(runs, offeredRate: schedule.expectedRequests / max(schedule.totalSeconds, 1e-9))
    }

    /// One report for the whole schedule; elapsed runs from the schedule's start to the last
    /// completion of any segment.
    private static func merge(_ runs: [(began: Double, report: LoadReport)], offeredRate: Double) -> LoadReport {
        guard var total = runs.first?.report else {
            return LoadRecorder().snapshot(elapsed: 0)
        }
        total.elapsed = runs[0].began + runs[0].report.elapsed
        for run in runs.dropFirst() {
            let report = run.report
            total.started += report.started
            total.succeeded += report.succeeded
            total.transportFailures += report.transportFailures
            for (status, count) in report.failedByStatus { total.failedByStatus[status, default: 0] += count }
            total.latency.add(report.latency)
            total.timeToFirstByte.add(report.timeToFirstByte)
            total.bytesReceived += report.bytesReceived
            total.elapsed = max(total.elapsed, run.began + report.elapsed)
        }
        total.offeredRate = offeredRate
        return total
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
