import BallastCore

/// The text of a simulated reply, cut into the pieces that streamed deltas carry.
///
/// It is a pure function of a seed taken from the request's content, never of the region's
/// random stream, so a streamed reply reassembles to exactly the non-streamed one.
struct ReplyText: Sendable {
    /// Short words; a token is one of them plus a space.
    static let vocabulary: [String] = [
        "the", "a", "of", "to", "and", "in", "is", "it", "that", "for", "on", "with", "as", "was", "at", "by",
        "this", "be", "from", "or", "are", "an", "we", "can", "all", "one", "will", "up", "more", "so", "if", "out",
        "time", "data", "load", "path", "node", "call", "wait", "send", "byte", "port", "link", "rate", "flow",
        "test", "mode", "case", "step", "plan", "fast", "slow", "safe", "calm", "hold", "keep", "try", "ask", "run",
        "go", "see", "now", "yes", "ok",
    ]

    /// Pieces cycled through when deltas are padded to a byte size (see `init(seed:deltas:bytesPerDelta:)`).
    private let pieces: [String]
    let deltaCount: Int

    /// `tokens` words grouped `tokensPerDelta` to a delta.
    init(seed: UInt64, tokens: Int, tokensPerDelta: Int) {
        var random = SeededRandom(seed: seed)
        var pieces: [String] = []
        let perDelta = max(1, tokensPerDelta)
        pieces.reserveCapacity((tokens + perDelta - 1) / perDelta)
        var current = ""
        for index in 0..<max(0, tokens) {
            current += Self.token(&random)
            if (index + 1) % perDelta == 0 {
                pieces.append(current)
                current = ""
            }
        }
        if !current.isEmpty { pieces.append(current) }
        self.pieces = pieces
        deltaCount = pieces.count
    }

    /// `deltas` deltas of exactly `bytesPerDelta` bytes each, cycling through a few distinct
    /// pieces, so a gigabyte streams without a gigabyte of text generation.
    init(seed: UInt64, deltas: Int, bytesPerDelta: Int) {
        var random = SeededRandom(seed: seed)
        let size = max(1, bytesPerDelta)
        let distinct = min(max(0, deltas), 8)
        var pieces: [String] = []
        for _ in 0..<distinct {
            var piece = ""
            piece.reserveCapacity(size + 8)
            while piece.utf8.count < size { piece += Self.token(&random) }
            pieces.append(String(decoding: piece.utf8.prefix(size), as: UTF8.self))
        }
        self.pieces = pieces
        deltaCount = max(0, deltas)
    }

    func delta(_ index: Int) -> String { pieces[index % pieces.count] }

    /// How many different pieces the deltas cycle through; deltas this far apart are equal,
    /// so their encoding can be reused.
    var distinctDeltas: Int { pieces.count }

    /// The whole text: every delta in order.
    var full: String {
        var text = ""
        for index in 0..<deltaCount { text += delta(index) }
        return text
    }

    private static func token(_ random: inout SeededRandom) -> String {
        vocabulary[Int(random.next() % UInt64(vocabulary.count))] + " "
    }
}
