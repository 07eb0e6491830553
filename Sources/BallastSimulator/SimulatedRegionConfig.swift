public import BallastConfig

/// One simulated upstream region: its own listener, latency, output and faults.
public struct SimulatedRegionConfig: Sendable, Equatable {
    public var name: String
    /// The API the region plays; `.anthropic` unless the config says `kind: bedrock | vertex`.
    public var kind: SimulatedRegionKind
    /// Port 0 picks a free port; read it back from `SimulatedRegion.port`.
    public var listen: ListenAddress
    /// When set, requests whose `x-api-key` (or `Authorization: Bearer`) differs get 401.
    public var apiKey: String?
    /// When true, a request without `anthropic-version` gets 400, as the real API answers.
    public var requireAnthropicVersion: Bool
    public var latency: LatencyModel
    public var output: OutputModel
    /// The faults in force when no schedule entry is active.
    public var faults: FaultSettings
    /// Timed fault changes, relative to the simulator's start.
    public var schedule: [FaultScheduleEntry]
    /// Polling threads of the region's HTTP server.
    public var threads: Int
    /// Random bad stretches (fault episodes); none by default.
    public var episodes: [FaultEpisodeModel]
    /// Requests the region serves at once at its nominal speed; beyond that, first bytes and
    /// deltas slow down in proportion (`LatencyPlan.overloadFactor`). 0: unlimited.
    public var capacity: Int

    public init(
        name: String = "primary", listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 0),
        apiKey: String? = nil, requireAnthropicVersion: Bool = false, latency: LatencyModel = LatencyModel(),
        output: OutputModel = OutputModel(), faults: FaultSettings = FaultSettings(),
        schedule: [FaultScheduleEntry] = [], threads: Int = 2, episodes: [FaultEpisodeModel] = [],
        capacity: Int = 0, kind: SimulatedRegionKind = .anthropic
    ) {
        self.name = name
        self.kind = kind
        self.listen = listen
        self.apiKey = apiKey
        self.requireAnthropicVersion = requireAnthropicVersion
        self.latency = latency
        self.output = output
        self.faults = faults
        self.schedule = schedule
        self.threads = threads
        self.episodes = episodes
        self.capacity = capacity
    }
}
