/// One table of a benchmark section, rendered as Markdown.
struct BenchTable: Sendable {
    var columns: [String]
    var rows: [[String]]

    var markdown: String {
        var lines = [
            "| " + columns.joined(separator: " | ") + " |",
            "|" + columns.map { _ in "---" }.joined(separator: "|") + "|",
        ]
        lines += rows.map { "| " + $0.joined(separator: " | ") + " |" }
        return lines.joined(separator: "\n")
    }
}
