import Foundation
import Telemetry
import CommandLineSupport

extension StatsFormatter {
    /// The usage table: tokens and dollars per model, region and client, with the overhead
    /// and the prompt cache's share of the input.
    static func usageTable(_ usage: UsageSummary) -> String {
        var out = "\nusage (every upstream attempt; overhead: tokens of hedges that lost, retried answers, cancelled streams)\n"
        guard !usage.rows.isEmpty else { return out + "no attempts in this range\n" }
        let header = ["model", "region", "client", "input", "output", "cache write", "cache read", "cost $", "overhead", "unknown"]
        func cells(_ row: UsageSummary.Row) -> [String] {
            [
                row.model, row.region, row.client, "\(row.inputTokens)", "\(row.outputTokens)", "\(row.cacheCreationTokens)",
                "\(row.cacheReadTokens)", String(format: "%.4f", row.costUSD), "\(row.overheadTokens)", "\(row.unknownUsage)",
            ]
        }
        out += TextTable.render(header: header, rows: usage.rows.map(cells) + [cells(usage.totals)])
        if let efficiency = usage.cacheEfficiency {
            out += String(format: "cache efficiency: %.1f%% of input tokens read from the prompt cache\n", efficiency * 100)
        } else {
            out += "cache efficiency: no input tokens\n"
        }
        return out
    }

    static func usageJSON(_ usage: UsageSummary) -> [String: Any] {
        var object: [String: Any] = [
            "rows": usage.rows.map { row -> [String: Any] in
                [
                    "model": row.model, "region": row.region, "client": row.client, "input_tokens": row.inputTokens,
                    "output_tokens": row.outputTokens, "cache_creation_tokens": row.cacheCreationTokens,
                    "cache_read_tokens": row.cacheReadTokens, "cost_usd": row.costUSD, "overhead_tokens": row.overheadTokens,
                    "unknown_usage": row.unknownUsage,
                ]
            }
        ]
        if let efficiency = usage.cacheEfficiency { object["cache_efficiency"] = efficiency }
        if let covers = usage.covers { object["covers_since"] = covers }
        return object
    }
}
