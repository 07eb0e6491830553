/// The best any gateway could do in a `CapacityScenario`, as a fluid model.
///
/// A perfect gateway knows every bucket's level and every region's state. It serves requests
/// first come, first served, sending each at the first instant when some limit group with a
/// healthy region holds a token; a request whose wait plus the service time would pass its
/// client's timeout is refused (nothing could serve it in time). Goodput is then bounded by
/// the limits and the outages only, and the latencies are the FIFO queueing bound during a
/// capacity deficit. Network delays are left out: the oracle is a bound, not a prediction.
/// As in the simulation, the buckets stop refilling when the scenario ends.
public enum CapacityOracle {
    public static func run(_ scenario: CapacityScenario) -> CapacityOutcome {
        var outcome = CapacityOutcome()
        let arrivals = CapacitySimulation.arrivals(scenario)
        outcome.offered = arrivals.count
        var levels = scenario.groups.map(\.bucket)
        var clock = 0.0
        func advance(to time: Double) {
            let from = min(clock, scenario.duration), to = min(time, scenario.duration)
            if to > from {
                for (index, group) in scenario.groups.enumerated() {
                    levels[index] = min(group.bucket, levels[index] + group.refillPerSecond * (to - from))
                }
            }
            clock = max(clock, time)
        }
        for arrival in arrivals {
            let start = max(clock, arrival)
            advance(to: start)
            var best: (time: Double, group: Int, service: Double)?
            for (index, group) in scenario.groups.enumerated() {
                guard
                    let slot = firstSlot(
                        group: index, refill: group.refillPerSecond, level: levels[index],
                        from: start, scenario: scenario)
                else { continue }
                if best.map({ slot.time + slot.service < $0.time + $0.service }) ?? true {
                    best = (slot.time, index, slot.service)
                }
            }
            guard let best, best.time - arrival + best.service <= scenario.clientTimeout else { continue }
            advance(to: best.time)
            levels[best.group] -= 1
            outcome.attempts += 1
            outcome.serve(arrival: arrival, latency: best.time - arrival + best.service)
        }
        outcome.finish()
        return outcome
    }

    /// The first instant from `start` when `group` holds a token and one of its regions is
    /// healthy, with that region's service time; nil when that never happens in time.
    static func firstSlot(
        group: Int, refill: Double, level: Double, from start: Double,
        scenario: CapacityScenario
    ) -> (time: Double, service: Double)? {
        let regions = scenario.regions.filter { $0.group == group }
        var time = start
        // Each pass moves past one outage's end: bounded by the number of outages.
        for _ in 0...(regions.reduce(0) { $0 + $1.outages.count } + 1) {
            var ready = time
            if level < 1 {
                let refillEnd = scenario.duration
                let needed = (1 - level) / max(refill, 1e-12)
                guard start + needed <= refillEnd || level >= 1 else { return nil }
                ready = max(time, start + needed)
            }
            let healthy = regions.filter { $0.outage(at: ready) == nil }
            if let fastest = healthy.min(by: { $0.serviceTime < $1.serviceTime }) {
                return (ready, fastest.serviceTime)
            }
            // Every region of the group is out: the first instant one of them comes back.
            guard let back = regions.compactMap({ $0.outage(at: ready)?.end }).min(), back > ready else { return nil }
            time = back
        }
        return nil
    }
}
