/// A stored answer: the complete body of a 200 response and when it was stored.
///
/// For `/v1/messages` the body is always a complete non-streaming Message JSON, also when the
/// upstream answer was streamed (the gateway assembles it with `MessageAssembler`); a
/// streaming request is served from it by `StreamSynthesizer`.
public struct CachedAnswer: Sendable, Equatable {
    public var body: [UInt8]
    /// The upstream's `content-type` for the (non-streaming) body, normally `application/json`.
    public var contentType: String
    /// Wall-clock seconds since the Unix epoch when the answer was stored.
    public var storedAt: Double
    /// Wall-clock seconds since the Unix epoch after which the answer is stale.
    public var expiresAt: Double

    public init(body: [UInt8], contentType: String, storedAt: Double, expiresAt: Double) {
        self.body = body
        self.contentType = contentType
        self.storedAt = storedAt
        self.expiresAt = expiresAt
    }

    /// True before the TTL ran out.
    public func isFresh(at wall: Double) -> Bool { wall < expiresAt }

    /// Whole seconds since the answer was stored, for an `age` response header.
    public func age(at wall: Double) -> Int { max(0, Int((wall - storedAt).rounded(.down))) }
}
