/// What one scenario reports: prose, tables for people, and figures for tools.
struct BenchSection: Sendable {
    var scenario: String
    var title: String
    var summary: String
    var tables: [BenchTable]
    /// Flat figures for the JSON file, e.g. `added_p99_ms`.
    var figures: [String: Double]

    var markdown: String {
        (["## \(title) (`\(scenario)`)", summary] + tables.map(\.markdown)).joined(separator: "\n\n")
    }
}
