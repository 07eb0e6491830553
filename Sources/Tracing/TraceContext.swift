import BallastCore
/// A W3C Trace Context (`traceparent`, `tracestate`): the trace a span belongs to and its
/// parent span, as received from a caller or made here.
///
/// Parsing is strict (https://www.w3.org/TR/trace-context/): a header that is not exactly
/// right is ignored, so a malformed `traceparent` starts a new trace and is never forwarded
/// as it was received.
public struct TraceContext: Sendable, Equatable {
    /// 16 bytes, not all zero.
    public var traceID: [UInt8]
    /// The 8-byte id of the span this context names (the caller's span, for a received one).
    public var spanID: [UInt8]
    /// Bit 0: sampled.
    public var flags: UInt8
    /// The vendor list, passed on unchanged when it is well formed; nil otherwise.
    public var traceState: String?

    public init(traceID: [UInt8], spanID: [UInt8], flags: UInt8, traceState: String? = nil) {
        self.traceID = traceID
        self.spanID = spanID
        self.flags = flags
        self.traceState = traceState
    }

    public var sampled: Bool { flags & 1 == 1 }

    /// `00-<trace id>-<span id>-<flags>`.
    public var traceparent: String {
        "00-" + Hex.encode(traceID) + "-" + Hex.encode(spanID) + "-" + Hex.encode([flags])
    }

    /// The context a received `traceparent` (and `tracestate`) describe; nil when the
    /// `traceparent` is absent or malformed (then the `tracestate` is ignored too, as the
    /// specification asks).
    public static func parse(traceparent: String?, tracestate: String?) -> TraceContext? {
        guard let header = traceparent else { return nil }
        let bytes = Array(header.utf8)
        // version "00" is exactly 55 characters; a later version may append "-..." fields.
        guard bytes.count >= 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-"),
            let version = Hex.decode(bytes[0..<2], lowerCaseOnly: true), version[0] != 0xFF,
            let traceID = Hex.decode(bytes[3..<35], lowerCaseOnly: true), let spanID = Hex.decode(bytes[36..<52], lowerCaseOnly: true),
            let flags = Hex.decode(bytes[53..<55], lowerCaseOnly: true)
        else { return nil }
        if version[0] == 0 {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55, bytes[55] != UInt8(ascii: "-") {
            return nil
        }
        guard traceID.contains(where: { $0 != 0 }), spanID.contains(where: { $0 != 0 }) else { return nil }
        return TraceContext(
            traceID: traceID, spanID: spanID, flags: version[0] == 0 ? flags[0] : flags[0] & 1,
            traceState: tracestate.flatMap(validTraceState))
    }

    /// A `tracestate` that can be passed on: at most 512 characters and 32 members, each
    /// `key=value` in printable ASCII without `,` or `=` in the value. Anything else is
    /// dropped rather than forwarded.
    static func validTraceState(_ text: String) -> String? {
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty, trimmed.utf8.count <= 512 else { return nil }
        let members = trimmed.split(separator: ",", omittingEmptySubsequences: false)
        guard members.count <= 32 else { return nil }
        for member in members {
            let parts = member.trimmingSpaces.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let key = parts.first, !key.isEmpty, key.utf8.count <= 256,
                key.utf8.allSatisfy({
                    ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39)
                        || [UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "@")].contains($0)
                }),
                let value = parts.last, !value.isEmpty, value.utf8.count <= 256,
                value.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "=") })
            else { return nil }
        }
        return trimmed
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
