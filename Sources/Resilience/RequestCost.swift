/// What one request takes from the upstream's buckets: one request, and an estimate of its
/// input and output tokens.
///
/// The estimates are deliberately simple and cheap (no tokenizer on the request path): input
/// from the body's length, output from `max_tokens` times the share of `max_tokens` that
/// answers of the same key really used (`RateAllowance.outputRatio`). The output estimate is
/// charged at admission and the difference refunded when the real usage is known.
public struct RequestCost: Sendable, Equatable {
    public var inputTokens: Double
    public var outputTokens: Double

    public init(inputTokens: Double = 0, outputTokens: Double = 0) {
        self.inputTokens = max(0, inputTokens)
        self.outputTokens = max(0, outputTokens)
    }

    /// Bytes of request JSON per input token. English text runs about 4 characters a token
    /// and JSON adds quoting and keys, so 3.5 over-counts slightly: pacing errs on the safe side.
    public static let bytesPerInputToken = 3.5

    /// The estimate for a body of `bodyBytes` asking for at most `maxTokens` output tokens.
    public static func estimate(bodyBytes: Int, maxTokens: Int?, outputRatio: Double) -> RequestCost {
        RequestCost(
            inputTokens: (Double(bodyBytes) / bytesPerInputToken).rounded(.up),
            outputTokens: (Double(maxTokens ?? 0) * min(1, max(0, outputRatio))).rounded(.up))
    }

    public static let zero = RequestCost()
}
