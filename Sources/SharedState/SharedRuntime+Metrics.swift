package import Metrics
import Redis
import Synchronization

extension SharedRuntime {
    /// The shared backend's health and how much Redis each request costs.
    package func registerMetrics(_ registry: MetricsRegistry) {
        let client = client, membership = membership, allowance = allowance, cacheTier = cacheTier, decisions = decisions
        _ = registry.gauge(
            "ballast_shared_backend_up",
            help: "1 while Redis (shared allowance, cache, overrides) is reachable; 0 while Ballast decides locally."
        ) {
            [([], client.isUp ? 1 : 0)]
        }
        _ = registry.gauge("ballast_shared_instances", help: "Instances seen alive at the last heartbeat, this one included.") {
            [([], Double(membership.current?.count ?? 0))]
        }
        _ = registry.counter(
            "ballast_shared_redis_round_trips_total",
            help: "Round trips to Redis (a pipelined batch of commands is one)."
        ) {
            [([], client.roundTrips.load(ordering: .relaxed))]
        }
        _ = registry.counter("ballast_shared_redis_commands_total", help: "Commands sent to Redis.") {
            [([], client.commands.load(ordering: .relaxed))]
        }
        _ = registry.counter("ballast_shared_redis_failures_total", help: "Round trips to Redis that failed (timeout, reset).") {
            [([], client.failures.load(ordering: .relaxed))]
        }
        _ = registry.counter("ballast_shared_rate_leases_total", help: "Leases of rate slots from the shared buckets.") {
            [([], allowance.leases.load(ordering: .relaxed))]
        }
        _ = registry.counter("ballast_shared_rate_slots_total", help: "Rate slots granted to this instance by the shared buckets.") {
            [([], allowance.slotsGranted.load(ordering: .relaxed))]
        }
        _ = registry.counter(
            "ballast_shared_rate_local_total",
            help: "Requests paced by the local fallback allowance while Redis was out of reach."
        ) {
            [([], allowance.localAdmissions.load(ordering: .relaxed))]
        }
        _ = registry.counter("ballast_shared_rate_cuts_total", help: "Cuts of a shared bucket's rate after a 429 seen here.") {
            [([], allowance.cuts.load(ordering: .relaxed))]
        }
        _ = registry.counter(
            "ballast_shared_adoptions_total",
            help: "Decisions made on another instance and taken here: circuit openings and closings, canary moves.",
            labels: ["kind"]
        ) {
            [
                (["circuit"], decisions.adopted.load(ordering: .relaxed)),
                (["canary"], decisions.adoptedCanaries.load(ordering: .relaxed)),
            ]
        }
        _ = registry.gauge(
            "ballast_shared_peer_degradation_level",
            help: "The highest degradation level the other live instances' rules demand (0 when alone)."
        ) {
            [([], Double(decisions.peerLevel))]
        }
        _ = registry.counter(
            "ballast_shared_cache_total",
            help: "Local cache misses by what the shared tier said: hit, lead (one upstream call), wait, alone.",
            labels: ["result"]
        ) {
            [
                (["hit"], cacheTier.hits.load(ordering: .relaxed)), (["lead"], cacheTier.leads.load(ordering: .relaxed)),
                (["wait"], cacheTier.waits.load(ordering: .relaxed)), (["alone"], cacheTier.alone.load(ordering: .relaxed)),
            ]
        }
    }
}
