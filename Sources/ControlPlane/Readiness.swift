package import Telemetry
package import Resilience
package import RulesRuntime
import BallastCore

/// What `/readyz` answers, decided from plain inputs so every reason can be tested without a
/// server. Ready means "send me traffic": the store takes writes, some region can be sent a
/// request, and no stop has begun. `/livez` asks none of this: a process that is only
/// unready must not be restarted (a restart would not bring a region back).
package struct Readiness: Equatable {
    /// One region as the request path sees it now.
    struct RegionView: Equatable {
        var name: String
        /// Its region-wide circuit is open (by the rules or held open by an operator).
        var circuitOpen: Bool
        /// An operator drained it.
        var drained: Bool
    }

    var ready: Bool
    /// `ready`, or why not: `shutting_down`, `degraded` (the store), `no_region`.
    var status: String

    static func decide(shuttingDown: Bool, storeHealthy: Bool, regions: [RegionView]) -> Readiness {
        if shuttingDown { return Readiness(ready: false, status: "shutting_down") }
        // 503 while the store refuses writes: requests are still served, but their records
        // and operator writes are not kept (operator writes are refused).
        if !storeHealthy { return Readiness(ready: false, status: "degraded") }
        if !regions.contains(where: { !$0.circuitOpen && !$0.drained }) { return Readiness(ready: false, status: "no_region") }
        return Readiness(ready: true, status: "ready")
    }

    /// The check `/readyz` runs on each call, over the running service's parts.
    package static func probe(
        shuttingDown: ShutdownFlag, storeHealth: StoreHealth, router: Router,
        rules: RuleController
    ) -> @Sendable () -> Readiness {
        {
            decide(
                shuttingDown: shuttingDown.isRaised, storeHealthy: storeHealth.report.healthy,
                regions: router.regions.map {
                    RegionView(
                        name: $0.name, circuitOpen: rules.isOpen(region: $0.name, model: nil),
                        drained: router.isDrained($0.name))
                })
        }
    }
}
