/// One canary (an API-version or model migration): its definition, where it stands and each
/// side's figures over the last five minutes.
package struct CanaryStatus: Codable, Sendable, Equatable {
    package var name: String
    /// `config` or `api`.
    package var origin: String
    package var from: Side
    package var to: Side
    package var steps: [Double]
    package var minStepTimeSeconds: Double
    package var autoAdvance: Bool
    package var stickyBy: [String]
    package var phase: String
    /// 1-based.
    package var step: Int
    @Nullable package var share: Double?
    package var summary: String
    @Nullable package var since: Double?
    @Nullable package var nextStepInSeconds: Double?
    /// `old` and `new`.
    package var sides: [String: Figures]

    package struct Side: Codable, Sendable, Equatable {
        @Nullable package var model: String?
        @Nullable package var anthropicVersion: String?

        package init(model: String?, anthropicVersion: String?) {
            self.model = model
            self.anthropicVersion = anthropicVersion
        }

        enum CodingKeys: String, CodingKey {
            case model
            case anthropicVersion = "anthropic_version"
        }
    }

    package struct Figures: Codable, Sendable, Equatable {
        package var attempts: Int
        @Nullable package var errorRatio: Double?
        @Nullable package var p99Seconds: Double?

        package init(attempts: Int, errorRatio: Double?, p99Seconds: Double?) {
            self.attempts = attempts
            self.errorRatio = errorRatio
            self.p99Seconds = p99Seconds
        }

        enum CodingKeys: String, CodingKey {
            case attempts
            case errorRatio = "error_ratio"
            case p99Seconds = "p99_seconds"
        }
    }

    package init(
        name: String, origin: String, from: Side, to: Side, steps: [Double], minStepTimeSeconds: Double, autoAdvance: Bool,
        stickyBy: [String], phase: String, step: Int, share: Double?, summary: String, since: Double?, nextStepInSeconds: Double?,
        sides: [String: Figures]
    ) {
        self.name = name
        self.origin = origin
        self.from = from
        self.to = to
        self.steps = steps
        self.minStepTimeSeconds = minStepTimeSeconds
        self.autoAdvance = autoAdvance
        self.stickyBy = stickyBy
        self.phase = phase
        self.step = step
        self.share = share
        self.summary = summary
        self.since = since
        self.nextStepInSeconds = nextStepInSeconds
        self.sides = sides
    }

    enum CodingKeys: String, CodingKey {
        case name, origin, from, to, steps, phase, step, share, summary, since, sides
        case minStepTimeSeconds = "min_step_time_seconds"
        case autoAdvance = "auto_advance"
        case stickyBy = "sticky_by"
        case nextStepInSeconds = "next_step_in_seconds"
    }
}
