/// `GET /control/v1/status`: what Ballast is doing and why, in one consistent view (what
/// `ballast status` and the status page show).
package struct StatusDocument: Codable, Sendable, Equatable {
    package var version: String
    @Nullable package var startedAt: Double?
    @Nullable package var uptimeSeconds: Double?
    @Nullable package var now: Double?
    package var proxy: Proxy
    package var upstream: Upstream
    package var regions: [RegionStatus]
    package var degradation: DegradationStatus
    package var circuits: CircuitCounts
    package var rules: RulesSummary
    package var overrides: [OverrideStatus]
    package var recentActions: [ActionEntry]
    package var canaries: [CanaryStatus]
    package var store: StoreStatus

    package struct Proxy: Codable, Sendable, Equatable {
        package var inFlight: Int

        package init(inFlight: Int) {
            self.inFlight = inFlight
        }

        enum CodingKeys: String, CodingKey {
            case inFlight = "in_flight"
        }
    }

    package struct Upstream: Codable, Sendable, Equatable {
        package var activeTransfers: Int
        package var connectionsOpened: Int

        package init(activeTransfers: Int, connectionsOpened: Int) {
            self.activeTransfers = activeTransfers
            self.connectionsOpened = connectionsOpened
        }

        enum CodingKeys: String, CodingKey {
            case activeTransfers = "active_transfers"
            case connectionsOpened = "connections_opened"
        }
    }

    package struct CircuitCounts: Codable, Sendable, Equatable {
        package var open: Int
        package var halfOpen: Int
        package var total: Int

        package init(open: Int, halfOpen: Int, total: Int) {
            self.open = open
            self.halfOpen = halfOpen
            self.total = total
        }

        enum CodingKeys: String, CodingKey {
            case open, total
            case halfOpen = "half_open"
        }
    }

    package struct RulesSummary: Codable, Sendable, Equatable {
        package var count: Int
        package var firing: [String]
        package var pending: [String]
        @Nullable package var lastReloadAt: Double?
        @Nullable package var lastReloadError: String?

        package init(count: Int, firing: [String], pending: [String], lastReloadAt: Double?, lastReloadError: String?) {
            self.count = count
            self.firing = firing
            self.pending = pending
            self.lastReloadAt = lastReloadAt
            self.lastReloadError = lastReloadError
        }

        enum CodingKeys: String, CodingKey {
            case count, firing, pending
            case lastReloadAt = "last_reload_at"
            case lastReloadError = "last_reload_error"
        }
    }

    package init(
        version: String, startedAt: Double?, uptimeSeconds: Double?, now: Double?, proxy: Proxy, upstream: Upstream, regions: [RegionStatus],
        degradation: DegradationStatus, circuits: CircuitCounts, rules: RulesSummary, overrides: [OverrideStatus],
        recentActions: [ActionEntry], canaries: [CanaryStatus], store: StoreStatus
    ) {
        self.version = version
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
        self.now = now
        self.proxy = proxy
        self.upstream = upstream
        self.regions = regions
        self.degradation = degradation
        self.circuits = circuits
        self.rules = rules
        self.overrides = overrides
        self.recentActions = recentActions
        self.canaries = canaries
        self.store = store
    }

    enum CodingKeys: String, CodingKey {
        case version, now, proxy, upstream, regions, degradation, circuits, rules, overrides, canaries, store
        case startedAt = "started_at"
        case uptimeSeconds = "uptime_seconds"
        case recentActions = "recent_actions"
    }
}
