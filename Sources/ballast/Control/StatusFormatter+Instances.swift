import Foundation

extension StatusFormatter {
    /// One line on the instances sharing state: `instances: 3 via Redis (up): a (this, 0.4s ago), b (0.9s ago), ...`.
    static func instancesLine(_ document: [String: Any]) -> String {
        guard document["shared"] as? Bool == true else { return "instances: this one alone (no shared state)\n" }
        let up = document["backend_up"] as? Bool == true
        let instances = document["instances"] as? [[String: Any]] ?? []
        let names = instances.map { instance -> String in
            let id = instance["id"] as? String ?? "?"
            let age = String(format: "%.1fs ago", instance["age_seconds"] as? Double ?? 0)
            let version = (instance["version"] as? String).map { " v\($0)" } ?? ""
            return instance["self"] as? Bool == true ? "\(id)\(version) (this, \(age))" : "\(id)\(version) (\(age))"
        }
        let state = up ? "up" : "DOWN: deciding locally"
        return "instances: \(instances.count) via Redis (\(state))" + (names.isEmpty ? "" : ": " + names.joined(separator: ", ")) + "\n"
    }

    /// The status text with the instances line after the header line.
    static func render(_ status: [String: Any], instances: [String: Any]?) -> String {
        let text = render(status)
        guard let instances else { return text }
        guard let newline = text.firstIndex(of: "\n") else { return text + instancesLine(instances) }
        return String(text[...newline]) + instancesLine(instances) + String(text[text.index(after: newline)...])
    }
}
