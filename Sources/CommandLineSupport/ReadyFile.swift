import Foundation

/// Writes the addresses a process actually bound (after port 0) to a JSON file, atomically,
/// so tests and scripts can find them without parsing logs.
package enum ReadyFile {
    /// What `ballast serve --ready-file` writes, and the benchmarks read back.
    package struct Serve: Codable, Sendable, Equatable {
        package var proxy: String
        package var admin: String
        /// Absent without `admin.probe_listen`.
        package var probe: String?
        package var pid: Int

        package init(proxy: String, admin: String, probe: String?, pid: Int) {
            self.proxy = proxy
            self.admin = admin
            self.probe = probe
            self.pid = pid
        }
    }

    package static func write(_ path: String, _ document: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(document).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    package static func read<Document: Decodable>(_ type: Document.Type, from path: String) throws -> Document {
        try JSONDecoder().decode(type, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
