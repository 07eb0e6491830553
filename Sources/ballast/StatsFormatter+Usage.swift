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
}
