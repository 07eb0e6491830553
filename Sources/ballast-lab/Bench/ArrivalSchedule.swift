import Foundation

/// Offered load as consecutive segments of constant Poisson rate, shared by every way of a
/// resilience benchmark so each sees the same arrivals: `ScheduledLoad` runs one
/// `LoadGenerator` per segment (segment k seeded with `seed + k`), and `bench/sdk_load.py`
/// reproduces exactly those arrivals from the same JSON and seed.
struct ArrivalSchedule: Sendable {
    struct Segment: Sendable {
        var seconds: Double
        var rate: Double
    }

    var segments: [Segment]

    /// One segment at a fixed rate.
    init(rate: Double, seconds: Double) {
        segments = [Segment(seconds: seconds, rate: rate)]
    }

    /// `pattern` repeated until `seconds` are covered (the last repetition is cut short).
    init(repeating pattern: [Segment], seconds: Double) {
        var segments: [Segment] = []
        var covered = 0.0
        let cycle = pattern.reduce(0) { $0 + $1.seconds }
        while covered < seconds, cycle > 0 {
            for segment in pattern where covered < seconds {
                let length = min(segment.seconds, seconds - covered)
                segments.append(Segment(seconds: length, rate: segment.rate))
                covered += length
            }
        }
        self.segments = segments
    }

    var totalSeconds: Double { segments.reduce(0) { $0 + $1.seconds } }

    /// Expected arrivals over the whole schedule.
    var expectedRequests: Double { segments.reduce(0) { $0 + $1.seconds * $1.rate } }

    /// Where segment `index` starts, in seconds from the start of the run.
    func start(of index: Int) -> Double { segments.prefix(index).reduce(0) { $0 + $1.seconds } }

    /// The `--schedule` argument of `bench/sdk_load.py`: `[[seconds, rate], ...]`.
    var json: String {
        "[" + segments.map { "[\($0.seconds),\($0.rate)]" }.joined(separator: ",") + "]"
    }
}
