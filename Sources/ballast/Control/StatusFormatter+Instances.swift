import ControlModels
import Foundation

extension StatusFormatter {
    /// One line on the instances sharing state: `instances: 3 via Redis (up): a (this, 0.4s ago), b (0.9s ago), ...`.
    static func instancesLine(_ document: InstancesDocument) -> String {
        guard document.shared else { return "instances: this one alone (no shared state)\n" }
        let names = document.instances.map { instance -> String in
            let age = String(format: "%.1fs ago", instance.ageSeconds)
            let version = instance.version.map { " v\($0)" } ?? ""
            return instance.isSelf ? "\(instance.id)\(version) (this, \(age))" : "\(instance.id)\(version) (\(age))"
        }
        let state = document.backendUp ? "up" : "DOWN: deciding locally"
        return "instances: \(document.instances.count) via Redis (\(state))" + (names.isEmpty ? "" : ": " + names.joined(separator: ", ")) + "\n"
    }

    /// The status text with the instances line after the header line.
    static func render(_ status: StatusDocument, instances: InstancesDocument?) -> String {
        let text = render(status)
        guard let instances else { return text }
        guard let newline = text.firstIndex(of: "\n") else { return text + instancesLine(instances) }
        return String(text[...newline]) + instancesLine(instances) + String(text[text.index(after: newline)...])
    }
}
