package import BallastCore
package import HTTPServer
import Metrics
package import Telemetry
package import Upstream
package import Proxy
package import Resilience
package import RulesRuntime
package import SharedState

/// What the control API and the status page read and steer: the running gateway's parts.
package struct ControlContext: Sendable {
    let rules: RuleController
    let migrations: MigrationController
    let router: Router
    let client: UpstreamClient
    let policy: CallPolicy
    let windows: TelemetryWindows
    let auditLog: AuditLog?
    let writer: TelemetryWriter
    /// Whether the store takes writes (the status document's `store`).
    let storeHealth: StoreHealth
    let clock: any TimeSource
    let auth: ControlAuth
    let version: String
    /// Wall seconds at start-up.
    let startedAt: Double
    let proxyInFlight: @Sendable () -> Int
    /// Shared mode's parts (membership for `/control/v1/instances`); nil when running alone.
    var shared: SharedRuntime? = nil
    /// Where refused operator input is counted (the admin listener's counts).
    var refusals: RefusalCounts? = nil
    /// Client keys (`clients`); nil in tests that build a context without them.
    var clients: ClientGate? = nil
    /// Re-reads the config file's `clients` section and replaces the key set (throws the
    /// reason when nothing changed); nil when Ballast runs without a config file.
    var reloadClients: (@Sendable () throws(ClientsReloadError) -> String)? = nil
    /// Tokens and cost of the last hour (the status page's usage line); nil in tests without it.
    var usage: UsageMetrics? = nil

    package init(
        rules: RuleController, migrations: MigrationController, router: Router, client: UpstreamClient, policy: CallPolicy, windows: TelemetryWindows,
        auditLog: AuditLog? = nil, writer: TelemetryWriter, storeHealth: StoreHealth, clock: any TimeSource, auth: ControlAuth, version: String,
        startedAt: Double, proxyInFlight: @escaping @Sendable () -> Int, shared: SharedRuntime? = nil, refusals: RefusalCounts? = nil,
        clients: ClientGate? = nil, reloadClients: (@Sendable () throws(ClientsReloadError) -> String)? = nil, usage: UsageMetrics? = nil
    ) {
        self.rules = rules
        self.migrations = migrations
        self.router = router
        self.client = client
        self.policy = policy
        self.windows = windows
        self.auditLog = auditLog
        self.writer = writer
        self.storeHealth = storeHealth
        self.clock = clock
        self.auth = auth
        self.version = version
        self.startedAt = startedAt
        self.proxyInFlight = proxyInFlight
        self.shared = shared
        self.refusals = refusals
        self.clients = clients
        self.reloadClients = reloadClients
        self.usage = usage
    }
}
