import Foundation

/// How the control API's documents become bytes and back: one encoder configuration for the
/// server, one decoder for the CLI, so the two cannot drift apart.
package enum ControlCoding {
    /// Compact, keys sorted (stable output for scripts and diffs), slashes unescaped (URLs are
    /// common in the documents).
    package static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Indented with sorted keys, for `--json` output a person may read.
    package static func pretty(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Reads a document; a mismatch throws a `DecodingFailure` that names the field.
    package static func decode<Document: Decodable>(_ type: Document.Type, from bytes: [UInt8]) throws(DecodingFailure) -> Document {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw DecodingFailure(error)
        } catch {
            throw DecodingFailure(description: "\(error)")
        }
    }

    /// Why a document could not be read, in one line: which field and what was wrong with it.
    package struct DecodingFailure: Error, Sendable, CustomStringConvertible {
        package var description: String

        init(description: String) {
            self.description = description
        }

        init(_ error: DecodingError) {
            func path(_ keys: [any CodingKey]) -> String {
                var text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                if text.hasPrefix(".") { text.removeFirst() }
                return text.isEmpty ? "the document" : "'\(text)'"
            }
            switch error {
            case .keyNotFound(let key, let context):
                description = "\(path(context.codingPath + [key])) is missing"
            case .typeMismatch(let type, let context):
                description = "\(path(context.codingPath)) is not a \(type)"
            case .valueNotFound(let type, let context):
                description = "\(path(context.codingPath)) is null where a \(type) is expected"
            case .dataCorrupted(let context):
                description = "\(path(context.codingPath)): \(context.debugDescription)"
            @unknown default:
                description = "\(error)"
            }
        }
    }
}
