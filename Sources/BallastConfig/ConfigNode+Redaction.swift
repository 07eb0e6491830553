import Yams
import Foundation

extension ConfigNode {
    /// The document as YAML text with anything secret-looking replaced by `<redacted>`: a
    /// value starting `sk-` (a key pasted where a name belongs, or brought in by `${VAR}`) and
    /// the password of a URL (`redis://user:password@host`). Secrets proper never are in the
    /// file (only the names of the variables and files holding them), so this guards against
    /// mistakes: `ballast config check` output ends up in CI logs and tickets.
    public func redactedYAML() -> String {
        (try? Yams.serialize(node: Self.redact(node), indent: 2, width: -1, allowUnicode: true, sortKeys: false)) ?? ""
    }

    static let redacted = "<redacted>"

    private static func redact(_ node: Node) -> Node {
        node.mappingScalarValues { original in
            guard let safe = redactedText(original.string) else { return original }
            var scalar = original
            scalar.string = safe
            return scalar
        }
    }

    /// The text to print instead of `text`, or nil when it can be shown as it is.
    public static func redactedText(_ text: String) -> String? {
        if text.hasPrefix("sk-") { return redacted }
        // scheme://user:password@host...: keep all but the password, so the address still reads.
        guard let scheme = text.range(of: "://") else { return nil }
        let authorityEnd = text[scheme.upperBound...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? text.endIndex
        let authority = text[scheme.upperBound..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return nil }
        return String(text[..<authority.index(after: colon)]) + redacted + String(text[at...])
    }
}
