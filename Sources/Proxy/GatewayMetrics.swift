package import BallastCore
package import HTTPServer
package import Metrics
package import Telemetry
package import Resilience
package import RulesRuntime
import BallastConfig
import Cache
import Synchronization
package import CloudRegions

/// Every metric family the gateway exports, registered once, with typed helpers for the
/// request path. Label values are bounded by the registry (models past 64 distinct names
/// become `other`); no key, user or request id is ever a label.
package final class GatewayMetrics: Sendable {
    let registry: MetricsRegistry
    let requests: CounterFamily
    let attempts: CounterFamily
    let requestDuration: HistogramFamily
    let timeToFirstByte: HistogramFamily
    let overhead: HistogramFamily
    let retries: CounterFamily
    let retriesWithheld: CounterFamily
    let silentResends: CounterFamily
    let hedges: CounterFamily
    let canaryRequests: CounterFamily
    let canaryAttempts: CounterFamily
    let clientRequests: CounterFamily
    let clientTokens: CounterFamily
    let clientRefusals: CounterFamily
    let clientSharedFallbacks: CounterFamily

    /// Overhead lives below a millisecond, yet the buckets still reach 10 minutes.
    static let overheadBounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600,
    ]

    package init(registry: MetricsRegistry, version: String) {
        self.registry = registry
        _ = registry.gauge("ballast_build_info", help: "Ballast's version; always 1.", labels: ["version"]) {
            [([version], 1)]
        }
        requests = registry.counter(
            "ballast_requests_total",
            help: "Client requests by the region of their final attempt, model, outcome class and status code.",
            labels: ["region", "model", "class", "code"])
        attempts = registry.counter(
            "ballast_upstream_attempts_total",
            help: "Upstream attempts (first tries, retries and hedges) by region, model, outcome class and status code.",
            labels: ["region", "model", "class", "code"])
        requestDuration = registry.histogram(
            "ballast_request_duration_seconds",
            help: "Client request latency, arrival to last byte.",
            labels: ["region", "model"], bounds: LatencyBuckets.bounds)
        timeToFirstByte = registry.histogram(
            "ballast_time_to_first_byte_seconds",
            help: "Client request time to the response head.",
            labels: ["region", "model"], bounds: LatencyBuckets.bounds)
        overhead = registry.histogram(
            "ballast_overhead_seconds",
            help: "Ballast's own time in a request, outside the final upstream attempt.",
            bounds: Self.overheadBounds)
        retries = registry.counter(
            "ballast_retries_total", help: "Upstream attempts made again after a failure, by region retried and reason.",
            labels: ["region", "reason"])
        retriesWithheld = registry.counter(
            "ballast_retries_withheld_total",
            help:
                "Failed attempts not retried because the request may have been done upstream and is not safe to send twice (writes other than POST /v1/messages and count_tokens), by region.",
            labels: ["region"])
        silentResends = registry.counter(
            "ballast_upstream_silent_resends_total",
            help:
                "Requests libcurl sent again by itself after a reused connection died (each one more copy the upstream may have seen; never for writes that must be sent once), by region.",
            labels: ["region"])
        canaryRequests = registry.counter(
            "ballast_canary_requests_total",
            help: "Client requests that matched a canary, by canary, side (old or new) and outcome class.",
            labels: ["canary", "side", "class"])
        canaryAttempts = registry.counter(
            "ballast_canary_attempts_total",
            help: "Upstream attempts of requests that matched a canary, by canary, side and outcome class.",
            labels: ["canary", "side", "class"])
        clientRequests = registry.counter(
            "ballast_client_requests_total",
            help: "Client requests admitted under a client key (clients.keys), by key name and outcome class.",
            labels: ["client", "class"])
        clientTokens = registry.counter(
            "ballast_client_tokens_total",
            help: "Tokens used by the answers of each client key, by key name and direction (input or output).",
            labels: ["client", "direction"])
        clientRefusals = registry.counter(
            "ballast_client_refusals_total",
            help:
                "Requests Ballast refused for a client key, by key name (none when no known key was sent) and reason: missing_key, unknown_key, model, rate_requests, rate_input_tokens, rate_output_tokens, budget.",
            labels: ["client", "reason"])
        clientSharedFallbacks = registry.counter(
            "ballast_client_shared_fallbacks_total",
            help: "Client key admissions decided from this instance's own buckets because Redis was out of reach (shared mode).")
        clientSharedFallbacks.labels().increment(by: 0)
        hedges = registry.counter(
            "ballast_hedges_total",
            help:
                "Hedged attempts: sent after a slow first byte, won the race, or cancelled as the loser; rescue: of those sent, copies of a stuck attempt sent outside the hedge budget.",
            labels: ["result"])
    }

    func record(_ request: RequestRecord, attempts recordAttempts: [AttemptRecord], overhead seconds: Double?) {
        let region = request.region ?? "none"
        let model = request.model ?? "none"
        requests.labels(region, model, request.outcome.rawValue, String(request.status)).increment()
        requestDuration.labels(region, model).observe(request.latency)
        if let ttfb = request.timeToFirstByte { timeToFirstByte.labels(region, model).observe(ttfb) }
        if let seconds { overhead.labels().observe(seconds) }
        for attempt in recordAttempts {
            attempts.labels(attempt.region, attempt.model ?? "none", attempt.outcome.rawValue, String(attempt.status)).increment()
        }
        if let client = request.client {
            clientRequests.labels(client, request.outcome.rawValue).increment()
        }
        if let canary = request.canary, let side = request.canarySide {
            canaryRequests.labels(canary, side, request.outcome.rawValue).increment()
            for attempt in recordAttempts where !attempt.cancelled {
                canaryAttempts.labels(canary, side, attempt.outcome.rawValue).increment()
            }
        }
    }

    /// What the listeners and the proxy refused for its input, by listener and reason.
    package func registerRefusals(proxy: RefusalCounts, admin: RefusalCounts, input: RefusalCounts, control: RefusalCounts) {
        _ = registry.counter(
            "ballast_requests_refused_total",
            help:
                "Requests refused or connections closed for what they carried or how slowly they sent it, by listener and reason (body_too_large, header_timeout, body_idle_timeout, invalid_path, body_invalid_utf8, body_too_deep, body_duplicate_key, stream_not_sse, invalid_operator_text).",
            labels: ["listener", "reason"]
        ) {
            var samples: [([String], Int)] = []
            for (listener, counts) in [
                ("proxy", proxy.snapshot().merging(input.snapshot(), uniquingKeysWith: +)),
                ("admin", admin.snapshot().merging(control.snapshot(), uniquingKeysWith: +)),
            ] {
                for (reason, value) in counts.sorted(by: { $0.key < $1.key }) { samples.append(([listener, reason], value)) }
            }
            return samples
        }
    }

    /// Gauges read from the policies at scrape time, and the counters they keep.
    package func registerPolicyGauges(policy: CallPolicy, credentials: any UpstreamCredentials, clock: any TimeSource) {
        _ = registry.gauge(
            "ballast_rate_allowance_requests_per_second",
            help: "The request rate pacing allows per limit group and model (absent while unlimited).",
            labels: ["key"]
        ) {
            policy.pacer.snapshot(now: clock.now()).compactMap { snapshot in
                snapshot.effectiveRate.map { ([snapshot.key], $0) }
            }
        }
        _ = registry.gauge(
            "ballast_rate_queue_depth", help: "Requests waiting for rate allowance per limit group and model.",
            labels: ["key"]
        ) {
            policy.pacer.snapshot(now: clock.now()).map { ([$0.key], Double($0.waiting)) }
        }
        _ = registry.gauge(
            "ballast_concurrency_limit", help: "The adaptive concurrency limit per region.",
            labels: ["region"]
        ) {
            policy.concurrencySnapshots().map { ([$0.0], Double($0.1.limit)) }
        }
        _ = registry.gauge("ballast_upstream_in_flight", help: "Attempts in flight per region.", labels: ["region"]) {
            policy.concurrencySnapshots().map { ([$0.0], Double($0.1.inFlight)) }
        }
        _ = registry.counter("ballast_hedges_refused_total", help: "Hedges not sent because the hedge budget was spent.") {
            [([], policy.hedges.counters.refused)]
        }
        _ = registry.counter("ballast_retry_budget_refusals_total", help: "Retries refused by the retry budget.") {
            [([], policy.counters.budgetRefusals.load(ordering: .relaxed))]
        }
        _ = registry.counter(
            "ballast_rate_limit_rejections_total",
            help:
                "Requests Ballast answered with its own 429: reason=deadline when the wait for allowance would pass the request's deadline or the queue's bound, reason=oversubscribed when demand exceeded the whole allowance and the excess was refused at once.",
            labels: ["reason"]
        ) {
            [
                (["deadline"], policy.counters.pacingRejections.load(ordering: .relaxed)),
                (["oversubscribed"], policy.counters.oversubscribedRejections.load(ordering: .relaxed)),
            ]
        }
        _ = registry.counter(
            "ballast_rate_limit_regional_429s_total",
            help:
                "429s without rate-limit headers from one region while the other regions of its limit group answered none: counted as that region's failure, not as the group's limit."
        ) {
            [([], policy.counters.regionalThrottles.load(ordering: .relaxed))]
        }
        _ = registry.counter(
            "ballast_rate_limit_headers_untrusted_total",
            help: "Answers whose anthropic-ratelimit-* headers could not be true (pacing fell back to AIMD for that key), by reason.",
            labels: ["reason"]
        ) {
            policy.counters.untrustedHeaderCounts.withLock { $0 }.sorted { $0.key < $1.key }.map { ([$0.key], $0.value) }
        }
        _ = registry.gauge(
            "ballast_rate_bucket_capacity_requests",
            help: "The upstream's request bucket size as learned from its remaining figures, per limit group and model.",
            labels: ["key"]
        ) {
            policy.pacer.snapshot(now: clock.now()).compactMap { snapshot in
                snapshot.learnedCapacity.map { ([snapshot.key], $0) }
            }
        }
        _ = registry.gauge(
            "ballast_rate_output_share",
            help:
                "The share of max_tokens answers use, learned from their usage per limit group and model (absent until one is known): output-token limits are paced with it.",
            labels: ["key"]
        ) {
            policy.pacer.snapshot(now: clock.now()).compactMap { snapshot in
                snapshot.outputShare.map { ([snapshot.key], $0) }
            }
        }
        _ = registry.counter(
            "ballast_concurrency_rejections_total",
            help: "Requests Ballast answered with 529 after waiting too long for a concurrency slot."
        ) {
            [([], policy.counters.concurrencyRejections.load(ordering: .relaxed))]
        }
        if let oauth = credentials as? OAuthCredentials {
            _ = registry.counter(
                "ballast_token_refreshes_total", help: "OAuth token refreshes, by result.",
                labels: ["result"]
            ) {
                [
                    (["success"], oauth.refreshes.succeeded.load(ordering: .relaxed)),
                    (["failure"], oauth.refreshes.failed.load(ordering: .relaxed)),
                ]
            }
        }
    }

    /// Refreshes of the cloud regions' short-lived credentials (STS keys for a web identity, Google
    /// access tokens), per region and result: a region whose credential keeps failing to
    /// refresh shows it here before its requests start failing. Static keys and Bedrock API
    /// keys never refresh and have no series. The reason of the last failure is in the log
    /// (no secret in it), not in a label.
    package func registerCloudCredentialCounters(_ cloud: CloudRegionSet) {
        let refreshing = cloud.regions.values.compactMap { region -> (String, RefreshingCredential)? in
            switch region.auth {
            case .awsWebIdentity(let credential), .google(let credential): (region.name, credential)
            case .awsKeys, .awsBearer: nil
            }
        }.sorted { $0.0 < $1.0 }
        guard !refreshing.isEmpty else { return }
        _ = registry.counter(
            "ballast_cloud_credential_refreshes_total",
            help: "Refreshes of a Bedrock or Vertex region's short-lived credential (STS keys, Google access token), by region and result.",
            labels: ["region", "result"]
        ) {
            refreshing.flatMap { name, credential in
                let counts = credential.refreshCounts
                return [([name, "success"], counts.succeeded), ([name, "failure"], counts.failed)]
            }
        }
    }

    /// The canaries' shares and phases, and the requests the deprecation guard moved.
    package func registerMigrationGauges(_ migrations: MigrationController) {
        _ = registry.gauge(
            "ballast_canary_share", help: "Share of a canary's matching requests sent to the new side (0 to 1).",
            labels: ["canary"]
        ) {
            migrations.states.map { ([$0.config.name], $0.share) }
        }
        _ = registry.gauge("ballast_canary_phase", help: "A canary's phase: 1 for the current one.", labels: ["canary", "phase"]) {
            migrations.states.flatMap { state in
                CanaryPhase.allCases.map { ([state.config.name, $0.rawValue], state.phase == $0 ? 1.0 : 0.0) }
            }
        }
        _ = registry.counter(
            "ballast_deprecated_model_requests_total",
            help: "Requests for a retiring model that the deprecation guard sent to its successor.",
            labels: ["model", "successor"]
        ) {
            migrations.deprecatedCounts.withLock { counts in
                counts.sorted { $0.key < $1.key }.map { key, count in
                    let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
                    return (parts, count)
                }
            }
        }
    }

    /// Where batches and files live (`ObjectHomes`).
    package func registerObjectHomeGauges(_ homes: ObjectHomes) {
        _ = registry.gauge("ballast_object_homes", help: "Message batches and files whose creating region Ballast knows (their reads go there).") {
            [([], Double(homes.count))]
        }
        _ = registry.counter(
            "ballast_object_home_store_failures_total",
            help: "Object homes that could not be written to or read from the store (they hold in memory until a restart)."
        ) {
            [([], homes.storeFailures)]
        }
    }

    /// The telemetry writer's health: a writer that falls behind or a store that refuses
    /// writes loses records, never requests.
    package func registerTelemetryGauges(writer: TelemetryWriter, health: StoreHealth) {
        _ = registry.counter("ballast_telemetry_records_written_total", help: "Request records written to SQLite.") {
            [([], writer.stats.written)]
        }
        _ = registry.counter(
            "ballast_telemetry_records_dropped_total",
            help:
                "Request records not written, by reason: queue_full (the writer fell behind), disk_full, busy (the database was locked past the busy timeout), io_error, error, closed (requests are never blocked).",
            labels: ["reason"]
        ) {
            writer.stats.droppedByReason.sorted { $0.key < $1.key }.map { ([$0.key.rawValue], $0.value) }
        }
        _ = registry.counter(
            "ballast_telemetry_audit_dropped_total",
            help: "Audit events not written because their buffer was full (events of a failed batch are retried, not dropped)."
        ) {
            [([], writer.stats.droppedAudit)]
        }
        _ = registry.gauge(
            "ballast_store_healthy",
            help: "1 while the store takes writes; 0 while its last write failed (in the last 30 s), as /readyz reports."
        ) {
            [([], health.report.healthy ? 1 : 0)]
        }
        _ = registry.gauge("ballast_telemetry_queue_depth", help: "Records waiting for the SQLite writer.") {
            [([], Double(writer.queueDepth))]
        }
        _ = registry.gauge("ballast_telemetry_writer_lag_seconds", help: "Age of the oldest record not yet written.") {
            [([], writer.lag)]
        }
        _ = registry.gauge("ballast_telemetry_last_batch_seconds", help: "How long the writer's last batch took.") {
            [([], writer.stats.lastBatchDuration)]
        }
    }

    package func registerCacheCounters(_ cache: CacheContext) {
        _ = registry.counter(
            "ballast_cache_requests_total",
            help: "Cacheable requests: answered from the cache (hit), sent upstream (miss), or served by an identical request in flight (coalesced).",
            labels: ["result"]
        ) {
            [
                (["hit"], cache.counters.hits.load(ordering: .relaxed)),
                (["miss"], cache.counters.misses.load(ordering: .relaxed)),
                (["coalesced"], cache.counters.coalesced.load(ordering: .relaxed)),
            ]
        }
        _ = registry.gauge("ballast_cache_entries", help: "Answers held in the response cache.") {
            [([], Double(cache.store.stats.entries))]
        }
        _ = registry.gauge("ballast_cache_bytes", help: "Bytes of answers held in the response cache.") {
            [([], Double(cache.store.stats.bytes))]
        }
    }

    package func registerRuleGauges(rules: RuleController, router: Router) {
        _ = registry.gauge(
            "ballast_circuit_state", help: "Circuit state per target: 1 for the current state.",
            labels: ["target", "state"]
        ) { rules.circuitSeries() }
        _ = registry.gauge("ballast_route_weight", help: "The traffic weight in force per region.", labels: ["region"]) {
            router.currentWeights.sorted { $0.key < $1.key }.map { ([$0.key], Double($0.value)) }
        }
        _ = registry.gauge("ballast_degradation_level", help: "The degradation level in force (0: none).") {
            [([], Double(rules.degradationLevel))]
        }
        _ = registry.gauge(
            "ballast_operator_overrides",
            help: "Operator overrides in force (they outrank the rules until cleared or expired), by action.",
            labels: ["action"]
        ) { rules.overrideCounts() }
        _ = registry.gauge(
            "ballast_rule_firing", help: "1 while a rule is firing.", labels: ["group", "rule"],
            maxValuesPerLabel: 1000
        ) { rules.firingSeries() }
        _ = registry.counter("ballast_rule_evaluations_total", help: "Rule engine evaluation steps.") {
            [([], rules.evaluations.load(ordering: .relaxed))]
        }
        _ = registry.counter("ballast_rule_reload_failures_total", help: "Rule reloads refused for errors (the running rules stayed).") {
            [([], rules.failedReloads.load(ordering: .relaxed))]
        }
    }
}
