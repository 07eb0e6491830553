package import BallastCore
package import CloudRegions
package import HTTPServer
package import Upstream
package import Resilience
package import RulesRuntime
package import Tracing

/// What every request on the proxy path shares: the upstream client, the router, the
/// credentials, the clock and the settings.
package final class ProxyContext: Sendable {
    package let client: UpstreamClient
    let router: Router
    let credentials: any UpstreamCredentials
    let clock: any TimeSource
    let options: ProxyOptions
    let policy: CallPolicy
    let metrics: GatewayMetrics
    let sink: (any OutcomeSink)?
    let cache: CacheContext?
    /// Pins, canaries and the deprecation guard; nil when none is configured or started.
    let migrations: MigrationController?
    /// The rule controller the request path consults: built before the context and fixed at
    /// init; nil in tests that run without rules.
    let rules: RuleController?
    /// Loop-thread only: requests waiting for a concurrency slot.
    let slots = SlotWaiters()
    /// Loop-thread only: the calls going upstream now.
    package let calls = CallsInFlight()
    /// The region that created each batch and file.
    let homes: ObjectHomes
    /// Requests and streams refused for what they carried, by reason (`ballast_requests_refused_total`).
    package let refusals = RefusalCounts()
    /// Client keys and their limits (`clients`); inactive when none is configured.
    let clients: ClientGate?
    /// The `bedrock` and `vertex` regions, by name; nil when every region is `anthropic`.
    let cloud: CloudRegionSet?
    /// Prices and overhead of each attempt's usage (`pricing`).
    let accounting: UsageAccounting
    /// OpenTelemetry traces (`tracing`); nil when off.
    let tracer: Tracer?

    package init(
        client: UpstreamClient, router: Router, credentials: any UpstreamCredentials, clock: any TimeSource,
        options: ProxyOptions, policy: CallPolicy, metrics: GatewayMetrics, sink: (any OutcomeSink)?,
        cache: CacheContext?, migrations: MigrationController? = nil, rules: RuleController? = nil, homes: ObjectHomes = ObjectHomes(),
        clients: ClientGate? = nil, cloud: CloudRegionSet? = nil, accounting: UsageAccounting = UsageAccounting(),
        tracer: Tracer? = nil
    ) {
        self.client = client
        self.router = router
        self.credentials = credentials
        self.clock = clock
        self.options = options
        self.policy = policy
        self.metrics = metrics
        self.sink = sink
        self.cache = cache
        self.migrations = migrations
        self.rules = rules
        self.homes = homes
        self.clients = clients
        self.cloud = cloud
        self.accounting = accounting
        self.tracer = tracer
    }

    /// `region`'s circuit opened (loop thread): what was sent there before is accounted for
    /// (`CallPolicy.hasNewsSince`), and each call waiting there for a first byte may move.
    package func regionWentOut(_ region: String) {
        policy.regionWentOut(region, now: clock.now())
        calls.regionWentOut(region)
    }

    /// `region`'s circuit closed (loop thread): the calls waiting for a paced slot elsewhere
    /// look whether it takes them, the longest waiting first.
    package func regionCameBack(_ region: String) {
        calls.regionCameBack(region)
    }
}
