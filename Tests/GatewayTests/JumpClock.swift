import BallastCore
import Synchronization

/// The system clock plus jumps a test makes: traffic, timers and the simulator run in real
/// time, and a jump skips a quiet stretch (a 30 s step-down, a hold-down) at once instead of
/// sleeping through it. Jump only while nothing is in flight: a jump ages deadlines too.
final class JumpClock: TimeSource {
    private let system = SystemClock()
    private let offset = Atomic<Int64>(0)

    func now() -> MonotonicInstant {
        system.now().adding(seconds: Double(offset.load(ordering: .relaxed)) / 1e9)
    }

    func wallTime() -> Double {
        system.wallTime() + Double(offset.load(ordering: .relaxed)) / 1e9
    }

    /// Moves both clocks `seconds` forward.
    func jump(seconds: Double) {
        offset.add(Int64(seconds * 1e9), ordering: .relaxed)
    }
}
