import Foundation

/// The whole run: machine, date, command, and each scenario's section.
struct BenchReport {
    var sections: [BenchSection]
    var command: String
    var seed: UInt64
    var scale: Double

    var machine: String {
        let cpu =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let memory = ProcessInfo.processInfo.physicalMemory / 1_073_741_824
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores (\(cpu)), \(memory) GiB, Linux"
    }

    var date: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }

    /// Merges this run's sections into an existing report, so `BENCH=name` refreshes one
    /// scenario without dropping the others.
    func writeMarkdown(to path: String) throws {
        var existing: [String: String] = [:]
        var order: [String] = []
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            for block in text.components(separatedBy: "\n## ").dropFirst() {
                let body = "## " + block.trimmingCharacters(in: .whitespacesAndNewlines)
                if let start = body.range(of: "(`"), let end = body.range(of: "`)", range: start.upperBound..<body.endIndex) {
                    let name = String(body[start.upperBound..<end.lowerBound])
                    existing[name] = body
                    order.append(name)
                }
            }
        }
        for section in sections {
            if existing[section.scenario] == nil { order.append(section.scenario) }
            existing[section.scenario] = section.markdown + "\n\n_Measured \(date), `\(command)`, seed \(seed), scale \(scale)._"
        }
        let header = """
            # Benchmarks

            Produced by `make bench` (`ballast-lab bench`); `make bench BENCH=<scenario>` refreshes one section; `ballast-lab bench --keep` keeps each way's store for a look at single requests. \
            Every figure is measured against a baseline in the same run, on one shared machine, so read the \
            ratios and differences rather than the absolute numbers.

            Last run: \(date) on \(machine).
            """
        let text = ([header] + order.compactMap { existing[$0] }).joined(separator: "\n\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func writeJSON(to path: String) throws {
        var root: [String: Any] = [:]
        if let data = FileManager.default.contents(atPath: path),
            let old = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            root = old
        }
        var scenarios = root["scenarios"] as? [String: Any] ?? [:]
        for section in sections {
            scenarios[section.scenario] = ["figures": section.figures, "date": date, "seed": seed, "scale": scale]
        }
        root["scenarios"] = scenarios
        root["machine"] = machine
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }
}
