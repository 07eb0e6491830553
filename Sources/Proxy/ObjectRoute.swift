/// What a request does to an object the API keeps in the one region that created it: a message
/// batch (`/v1/messages/batches/{id}`) or a file (`/v1/files/{id}`). Another region does not know
/// the id, so reads, cancels and deletes of it must go where it was created.
package enum ObjectRoute: Equatable, Sendable {
    package enum Kind: String, Sendable {
        case batch
        case file
    }

    /// `POST /v1/messages/batches` or `POST /v1/files`: the answer's `id` gets a home.
    case create(Kind)
    /// Anything addressed to one object; `deletes` when a 2xx answer ends its life.
    case use(Kind, id: String, deletes: Bool)

    /// Ids are the API's (`msgbatch_...`, `file_...`): bounded, letters, digits, `_` and `-`.
    static let maxIDLength = 128

    /// `path` without its query; nil for every other path (lists included: they have no id).
    static func of(method: String, path: String) -> ObjectRoute? {
        // Every request passes here: `/v1/messages` and the rest leave before any splitting.
        guard path.hasPrefix("/v1/messages/batches") || path.hasPrefix("/v1/files") else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let kind: Kind
        let rest: ArraySlice<Substring>
        if parts.count >= 4, parts[1] == "v1", parts[2] == "messages", parts[3] == "batches" {
            kind = .batch
            rest = parts[4...]
        } else if parts.count >= 3, parts[1] == "v1", parts[2] == "files" {
            kind = .file
            rest = parts[3...]
        } else {
            return nil
        }
        guard let first = rest.first else { return method == "POST" ? .create(kind) : nil }
        guard isID(first) else { return nil }
        return .use(kind, id: String(first), deletes: method == "DELETE" && rest.count == 1)
    }

    static func isID(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.count <= maxIDLength
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F || byte == 0x2D
            }
    }
}
