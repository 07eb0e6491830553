/// One region as the control API shows it: its weight and state, the rules' shift away from
/// it, its limits and the last minute's figures.
package struct RegionStatus: Codable, Sendable, Equatable {
    package var name: String
    package var baseURL: String
    package var configuredWeight: Int
    package var weight: Int
    /// `drained`, `circuit_open`, `circuit_half_open`, a shift phase, `serving` or `standby`.
    package var state: String
    package var drained: Bool
    package var circuit: String
    @Nullable package var override: OverrideStatus?
    @Nullable package var shift: Shift?
    package var limits: Limits
    package var recent: RecentFigures

    /// Traffic the rules moved away from the region and who holds it away.
    package struct Shift: Codable, Sendable, Equatable {
        @Nullable package var removed: Double?
        package var phase: String
        package var heldBy: [String]

        package init(removed: Double?, phase: String, heldBy: [String]) {
            self.removed = removed
            self.phase = phase
            self.heldBy = heldBy
        }

        enum CodingKeys: String, CodingKey {
            case removed, phase
            case heldBy = "held_by"
        }
    }

    package struct Limits: Codable, Sendable, Equatable {
        package var limitGroup: String
        @Nullable package var concurrencyLimit: Int?
        package var inFlight: Int
        @Nullable package var rateAllowanceRPS: Double?
        package var rateQueueDepth: Int

        package init(limitGroup: String, concurrencyLimit: Int?, inFlight: Int, rateAllowanceRPS: Double?, rateQueueDepth: Int) {
            self.limitGroup = limitGroup
            self.concurrencyLimit = concurrencyLimit
            self.inFlight = inFlight
            self.rateAllowanceRPS = rateAllowanceRPS
            self.rateQueueDepth = rateQueueDepth
        }

        enum CodingKeys: String, CodingKey {
            case limitGroup = "limit_group"
            case concurrencyLimit = "concurrency_limit"
            case inFlight = "in_flight"
            case rateAllowanceRPS = "rate_allowance_rps"
            case rateQueueDepth = "rate_queue_depth"
        }
    }

    package init(
        name: String, baseURL: String, configuredWeight: Int, weight: Int, state: String, drained: Bool, circuit: String,
        override: OverrideStatus?, shift: Shift?, limits: Limits, recent: RecentFigures
    ) {
        self.name = name
        self.baseURL = baseURL
        self.configuredWeight = configuredWeight
        self.weight = weight
        self.state = state
        self.drained = drained
        self.circuit = circuit
        self.override = override
        self.shift = shift
        self.limits = limits
        self.recent = recent
    }

    enum CodingKeys: String, CodingKey {
        case name, weight, state, drained, circuit, override, shift, limits, recent
        case baseURL = "base_url"
        case configuredWeight = "configured_weight"
    }
}
