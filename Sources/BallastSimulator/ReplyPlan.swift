/// What a request's reply will be: length, stop reason and text. A pure function of the
/// request, the region's output model and the test headers.
struct ReplyPlan: Sendable {
    var outputTokens: Int
    /// "end_turn", or "max_tokens" when the request's `max_tokens` cut the reply short.
    var stopReason: String
    var text: ReplyText

    init(request: MessagesRequest, output: OutputModel, forcedTokens: Int? = nil, deltaBytes: Int? = nil) {
        let wanted = forcedTokens ?? Self.naturalLength(hash: request.contentHash, output: output)
        outputTokens = max(1, min(wanted, request.maxTokens))
        stopReason = wanted > request.maxTokens ? "max_tokens" : "end_turn"
        let perDelta = max(1, output.tokensPerDelta)
        if let deltaBytes {
            text = ReplyText(
                seed: request.contentHash, deltas: (outputTokens + perDelta - 1) / perDelta,
                bytesPerDelta: deltaBytes)
        } else {
            text = ReplyText(seed: request.contentHash, tokens: outputTokens, tokensPerDelta: perDelta)
        }
    }

    /// A deterministic length in `minTokens...maxTokens` for the request's content.
    static func naturalLength(hash: UInt64, output: OutputModel) -> Int {
        let low = max(1, output.minTokens)
        let high = max(low, output.maxTokens)
        return low + Int(StableHash.mix(hash ^ 0x5EED_0F_1E46_7468) % UInt64(high - low + 1))
    }
}
