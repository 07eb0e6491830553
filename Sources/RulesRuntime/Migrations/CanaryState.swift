package import BallastConfig
import BallastCore

/// One canary's definition and where it stands. A value: every transition takes the time and
/// returns what changed (for the audit table), so the step schedule is tested on a manual
/// clock without threads. Wall-clock times, so it survives a restart.
package struct CanaryState: Sendable, Equatable, Codable {
    package var config: CanaryConfig
    /// `config` for canaries from the config file, `operator:<name>` for ones started through
    /// the control API.
    package var origin: String
    package var phase: CanaryPhase
    /// Index into `config.steps`.
    package var step: Int
    /// When the current step (or phase) began: wall-clock seconds since the Unix epoch (the
    /// state is stored, and a step's time must carry over a restart).
    package var since: Double

    init(config: CanaryConfig, origin: String, wall: Double) {
        self.config = config
        self.origin = origin
        phase = .running
        step = 0
        since = wall
    }

    /// The share of matching requests on the new side now.
    package var share: Double {
        switch phase {
        case .running, .held: config.steps[min(step, config.steps.count - 1)]
        case .rolledBack: 0
        case .finished: 1
        }
    }

    /// `running 5% (step 2 of 4)`
    package var summary: String {
        let percent = Self.percent(share)
        switch phase {
        case .running: return "running at \(percent) (step \(step + 1) of \(config.steps.count))"
        case .held: return "held at \(percent) (step \(step + 1) of \(config.steps.count))"
        case .rolledBack: return "rolled back (0%)"
        case .finished: return "finished (100%)"
        }
    }

    /// `1%`, `0.5%`, `100%`
    static func percent(_ share: Double) -> String {
        let value = (share * 1000).rounded() / 10
        return (value == value.rounded() ? String(Int(value)) : String(value)) + "%"
    }

    /// Seconds until the current step may advance (0 when it may now).
    package func remaining(at wall: Double) -> Double { max(0, config.minStepTime - (wall - since)) }

    // MARK: Transitions: each returns the new state's summary when something changed

    /// The scheduled move: a running canary whose step has lasted `minStepTime` advances when
    /// it advances on time (`autoAdvance`) or a rule asks for it, and no rule holds it.
    mutating func tick(at wall: Double, ruleHolds: Bool, ruleAdvance: Bool) -> String? {
        guard phase == .running, !ruleHolds, remaining(at: wall) <= 0, config.autoAdvance || ruleAdvance else { return nil }
        return stepUp(at: wall)
    }

    /// An operator's (or rule's) advance: the next step now, whatever the time.
    mutating func advance(at wall: Double) -> String? {
        guard phase == .running else { return nil }
        return stepUp(at: wall)
    }

    mutating func hold(at wall: Double) -> String? {
        guard phase == .running else { return nil }
        phase = .held
        since = wall
        return summary
    }

    /// Back to running: a held canary where it was, a rolled-back one from its first step.
    mutating func resume(at wall: Double) -> String? {
        switch phase {
        case .held:
            phase = .running
        case .rolledBack:
            phase = .running
            step = 0
        case .running, .finished:
            return nil
        }
        since = wall
        return summary
    }

    /// All traffic back to the old side at once (a finished canary too: trouble can show late);
    /// only an operator's resume undoes it.
    mutating func rollback(at wall: Double) -> String? {
        guard phase != .rolledBack else { return nil }
        phase = .rolledBack
        since = wall
        return summary
    }

    /// All traffic to the new side for good.
    mutating func finish(at wall: Double) -> String? {
        guard phase != .finished else { return nil }
        phase = .finished
        step = config.steps.count - 1
        since = wall
        return summary
    }

    private mutating func stepUp(at wall: Double) -> String? {
        if step + 1 < config.steps.count {
            step += 1
            since = wall
            return summary
        }
        guard config.steps.last == 1 else { return nil }
        return finish(at: wall)
    }
}
