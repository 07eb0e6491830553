/// One circuit (a region, a model or a pair): the state in force, what the rules alone say,
/// and the operator's override if any.
package struct CircuitDocument: Codable, Sendable, Equatable {
    /// `region=NAME`, `model=NAME` or `region=NAME,model=NAME`.
    package var id: String
    @Nullable package var region: String?
    @Nullable package var model: String?
    package var state: String
    package var rulesState: String
    package var trips: Int
    @Nullable package var retryAfterSeconds: Double?
    package var probePermits: Int
    @Nullable package var trippedBy: String?
    @Nullable package var override: OverrideStatus?

    package init(
        id: String, region: String?, model: String?, state: String, rulesState: String, trips: Int, retryAfterSeconds: Double?,
        probePermits: Int, trippedBy: String?, override: OverrideStatus?
    ) {
        self.id = id
        self.region = region
        self.model = model
        self.state = state
        self.rulesState = rulesState
        self.trips = trips
        self.retryAfterSeconds = retryAfterSeconds
        self.probePermits = probePermits
        self.trippedBy = trippedBy
        self.override = override
    }

    enum CodingKeys: String, CodingKey {
        case id, region, model, state, trips, override
        case rulesState = "rules_state"
        case retryAfterSeconds = "retry_after_seconds"
        case probePermits = "probe_permits"
        case trippedBy = "tripped_by"
    }
}
