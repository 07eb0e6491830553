import Foundation

/// Number formatting for the benchmark tables.
enum BenchFormat {
    static func ms(_ value: Double) -> String { String(format: value < 10 ? "%.3f" : "%.1f", value) }
    static func ratio(_ value: Double) -> String { value.isFinite ? String(format: "%.2fx", value) : "-" }
    static func rate(_ value: Double) -> String { String(format: "%.0f", value) }
    static func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }
    static func mib(_ bytes: Double) -> String { String(format: "%.1f MiB", bytes / 1_048_576) }
}
