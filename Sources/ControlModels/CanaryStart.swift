/// `POST /control/v1/canaries` as the CLI sends it.
package struct CanaryStart: Encodable, Sendable, Equatable {
    package var name: String
    package var from: Side
    package var to: Side
    /// Shares such as `1%` or `0.05`.
    package var steps: [String]
    /// A duration such as `10m`.
    package var minStepTime: String
    package var reason: String

    /// A side's model and API version; what is not given is left out.
    package struct Side: Encodable, Sendable, Equatable {
        package var model: String?
        package var anthropicVersion: String?

        package init(model: String?, anthropicVersion: String?) {
            self.model = model
            self.anthropicVersion = anthropicVersion
        }

        enum CodingKeys: String, CodingKey {
            case model
            case anthropicVersion = "anthropic_version"
        }
    }

    package init(name: String, from: Side, to: Side, steps: [String], minStepTime: String, reason: String) {
        self.name = name
        self.from = from
        self.to = to
        self.steps = steps
        self.minStepTime = minStepTime
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case name, from, to, steps, reason
        case minStepTime = "min_step_time"
    }
}
