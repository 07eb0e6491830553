import Telemetry

/// `ballast stats --json`: the store's summary for scripts. Optional figures are left out when
/// there is nothing to measure (no requests, no usage).
struct StatsDocument: Encodable {
    var since: Double
    var until: Double
    var rows: [Row]
    var actions: [Action]
    var usage: Usage?

    struct Row: Encodable {
        var region: String
        var model: String
        var requests: Int
        var rate: Double
        var rateLimited: Int
        var retries: Int
        var hedged: Int
        var cacheHits: Int
        var successRatio: Double?
        var p50Seconds: Double?
        var p99Seconds: Double?

        enum CodingKeys: String, CodingKey {
            case region, model, requests, rate, retries, hedged
            case rateLimited = "rate_limited"
            case cacheHits = "cache_hits"
            case successRatio = "success_ratio"
            case p50Seconds = "p50_seconds"
            case p99Seconds = "p99_seconds"
        }
    }

    struct Action: Encodable {
        var time: Double
        var kind: String
        var target: String
        var action: String
        var reason: String
        var actor: String
    }

    struct Usage: Encodable {
        var rows: [UsageRow]
        var cacheEfficiency: Double?
        var coversSince: Double?

        enum CodingKeys: String, CodingKey {
            case rows
            case cacheEfficiency = "cache_efficiency"
            case coversSince = "covers_since"
        }
    }

    struct UsageRow: Encodable {
        var model: String
        var region: String
        var client: String
        var inputTokens: Int
        var outputTokens: Int
        var cacheCreationTokens: Int
        var cacheReadTokens: Int
        var costUSD: Double
        var overheadTokens: Int
        var unknownUsage: Int

        enum CodingKeys: String, CodingKey {
            case model, region, client
            case inputTokens = "input_tokens"
            case outputTokens = "output_tokens"
            case cacheCreationTokens = "cache_creation_tokens"
            case cacheReadTokens = "cache_read_tokens"
            case costUSD = "cost_usd"
            case overheadTokens = "overhead_tokens"
            case unknownUsage = "unknown_usage"
        }
    }

    init(_ summary: TelemetrySummary, usage: UsageSummary?) {
        since = summary.since
        until = summary.until
        rows = summary.rows.map {
            Row(
                region: $0.region, model: $0.model, requests: $0.requests, rate: $0.rate, rateLimited: $0.rateLimited, retries: $0.retries,
                hedged: $0.hedged, cacheHits: $0.cacheHits, successRatio: $0.successRatio, p50Seconds: $0.p50, p99Seconds: $0.p99)
        }
        actions = summary.actions.map {
            Action(time: $0.time, kind: $0.kind, target: $0.target, action: $0.action, reason: $0.reason, actor: $0.actor)
        }
        self.usage = usage.map { usage in
            Usage(
                rows: usage.rows.map {
                    UsageRow(
                        model: $0.model, region: $0.region, client: $0.client, inputTokens: $0.inputTokens, outputTokens: $0.outputTokens,
                        cacheCreationTokens: $0.cacheCreationTokens, cacheReadTokens: $0.cacheReadTokens, costUSD: $0.costUSD,
                        overheadTokens: $0.overheadTokens, unknownUsage: $0.unknownUsage)
                }, cacheEfficiency: usage.cacheEfficiency, coversSince: usage.covers)
        }
    }
}
