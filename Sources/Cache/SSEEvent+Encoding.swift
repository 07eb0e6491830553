public import BallastCore

/// The wire form of server-sent events, for streams Ballast writes itself (cached answers).
extension SSEEvent {
    /// `event: <name>\ndata: <data>\n\n`; data with line breaks gets one `data:` line each,
    /// which a reader joins back with `\n`.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count + data.utf8.count + 16)
        out.append(contentsOf: "event: ".utf8)
        out.append(contentsOf: name.utf8)
        out.append(0x0A)
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            out.append(contentsOf: "data: ".utf8)
            out.append(contentsOf: line.utf8)
            out.append(0x0A)
        }
        out.append(0x0A)
        return out
    }

    /// The events one after another, as one stream body.
    public static func encode(_ events: [SSEEvent]) -> [UInt8] {
        var out: [UInt8] = []
        for event in events { out.append(contentsOf: event.encoded) }
        return out
    }
}
