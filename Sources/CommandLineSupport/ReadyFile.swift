import Foundation

/// Writes the addresses a process actually bound (after port 0) to a JSON file, atomically,
/// so tests and scripts can find them without parsing logs.
package enum ReadyFile {
    package static func write(_ path: String, _ json: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
