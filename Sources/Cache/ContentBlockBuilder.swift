import JSON
/// One content block of a streamed Message being put back together: the block from its
/// `content_block_start`, plus what its deltas appended.
///
/// Text-like fields (`text`, `thinking`, `signature`) are appended to a per-field buffer and
/// written into the block once, at the end, rather than rebuilding a JSON value per delta;
/// `input_json_delta` fragments are joined and parsed once when the block is built.
struct ContentBlockBuilder: Sendable {
    private var block: JSONValue
    private var appended: [(field: String, text: String)] = []
    private var partialJSON = ""
    private var citations: [JSONValue] = []
    var stopped = false

    init(block: JSONValue) {
        self.block = block
    }

    /// Appends `text` to the string field `field`.
    mutating func append(_ text: String, to field: String) {
        if let index = appended.firstIndex(where: { $0.field == field }) {
            appended[index].text += text
        } else {
            appended.append((field: field, text: text))
        }
    }

    mutating func appendJSON(_ fragment: String) {
        partialJSON += fragment
    }

    mutating func appendCitation(_ citation: JSONValue) {
        citations.append(citation)
    }

    /// The finished block.
    func build() throws(MessageAssemblyError) -> JSONValue {
        var result = block
        for (field, text) in appended {
            result.set(field, .string((result[field]?.stringValue ?? "") + text))
        }
        if !partialJSON.isEmpty {
            do throws(JSONParseError) {
                result.set("input", try JSONParser.parse(partialJSON))
            } catch {
                throw .unexpectedEvent("tool input is not valid JSON (\(error))")
            }
        }
        if !citations.isEmpty {
            result.set("citations", .array((result["citations"]?.arrayValue ?? []) + citations))
        }
        return result
    }
}
