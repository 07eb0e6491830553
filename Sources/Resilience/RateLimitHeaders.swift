public import BallastCore

/// The `anthropic-ratelimit-*` response headers, read into numbers.
///
/// Each dimension (`requests`, `tokens`, `input-tokens`, `output-tokens`) carries a `limit`,
/// what is `remaining` and when the bucket will be full again (`reset`, RFC 3339). The API's
/// limits are token buckets refilled continuously; `reset` is the instant the bucket is full.
public struct RateLimitHeaders: Sendable, Equatable {
    /// One dimension; any field may be missing or unreadable.
    public struct Dimension: Sendable, Equatable {
        public var limit: Double?
        public var remaining: Double?
        /// Seconds since the Unix epoch.
        public var resetAt: Double?

        public init(limit: Double? = nil, remaining: Double? = nil, resetAt: Double? = nil) {
            self.limit = limit
            self.remaining = remaining
            self.resetAt = resetAt
        }
    }

    public var requests: Dimension?
    public var tokens: Dimension?
    public var inputTokens: Dimension?
    public var outputTokens: Dimension?
    /// Fields that were present but unreadable (not a number, negative, not RFC 3339): a
    /// response that sends them cannot be trusted to describe the bucket.
    public var malformedFields = 0

    public init(
        requests: Dimension? = nil, tokens: Dimension? = nil, inputTokens: Dimension? = nil,
        outputTokens: Dimension? = nil
    ) {
        self.requests = requests
        self.tokens = tokens
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    /// Reads every response's headers in one pass (names are stored lower-case): looking each
    /// of the twelve names up in turn cost 4% of the proxy's CPU under load.
    public init(_ headers: HTTPHeaders) {
        var raw = [RawDimension](repeating: RawDimension(), count: 4)
        for field in headers where field.name.hasPrefix(Self.prefix) {
            let rest = field.name.utf8.dropFirst(Self.prefix.utf8.count)
            guard let dash = rest.lastIndex(of: UInt8(ascii: "-")) else { continue }
            let index: Int
            switch String(Substring(rest[..<dash])) {
            case "requests": index = 0
            case "tokens": index = 1
            case "input-tokens": index = 2
            case "output-tokens": index = 3
            default: continue
            }
            switch String(Substring(rest[rest.index(after: dash)...])) {
            case "limit": raw[index].limit = raw[index].limit ?? .some(Double(field.value.trimmed))
            case "remaining": raw[index].remaining = raw[index].remaining ?? .some(Double(field.value.trimmed))
            case "reset": raw[index].reset = raw[index].reset ?? .some(RFC3339Timestamp.parse(field.value.trimmed))
            default: continue
            }
        }
        requests = raw[0].dimension
        tokens = raw[1].dimension
        inputTokens = raw[2].dimension
        outputTokens = raw[3].dimension
        malformedFields = raw.reduce(0) { $0 + $1.malformed }
    }

    private static let prefix = "anthropic-ratelimit-"

    /// One dimension's fields as found: the outer optional says whether the header was there
    /// (the first one counts), the inner whether it was readable.
    private struct RawDimension {
        var limit: Double??
        var remaining: Double??
        var reset: Double??

        /// Fields present but unreadable.
        var malformed: Int {
            func bad(_ field: Double??, _ usable: (Double) -> Bool) -> Int {
                guard case .some(let value) = field else { return 0 }
                return value.map(usable) == true ? 0 : 1
            }
            let count = { (value: Double) in value.isFinite && value >= 0 }
            return bad(limit, count) + bad(remaining, count) + bad(reset, { $0.isFinite })
        }

        var dimension: Dimension? {
            let limit = limit ?? nil, remaining = remaining ?? nil, reset = reset ?? nil
            guard limit != nil || remaining != nil || reset != nil else { return nil }
            return Dimension(
                limit: limit.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil },
                remaining: remaining.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil },
                resetAt: reset)
        }
    }

    /// True when the response carried none of the headers (an error page from a load
    /// balancer, a proxy that strips them): such a response says nothing about the limits.
    public var isEmpty: Bool {
        requests == nil && tokens == nil && inputTokens == nil && outputTokens == nil && malformedFields == 0
    }

    /// Why these headers cannot be trusted to describe the upstream's buckets, or nil when
    /// they can: an unreadable field, a `remaining` above its `limit`, a `reset` in the past
    /// (beyond `tolerance` seconds of clock skew) or further than `horizon` seconds away (a
    /// per-minute bucket is full again within a minute).
    public func distrust(wallTime: Double, tolerance: Double = 2, horizon: Double = 3600) -> String? {
        if malformedFields > 0 { return "unreadable" }
        for dimension in [requests, tokens, inputTokens, outputTokens].compactMap({ $0 }) {
            if let limit = dimension.limit, let remaining = dimension.remaining, remaining > limit {
                return "remaining_above_limit"
            }
            if let resetAt = dimension.resetAt {
                if resetAt < wallTime - tolerance { return "reset_in_past" }
                if resetAt > wallTime + horizon { return "reset_too_far" }
            }
        }
        return nil
    }

    /// The token dimensions that are present.
    public var tokenDimensions: [Dimension] {
        [tokens, inputTokens, outputTokens].compactMap { $0 }
    }
}
