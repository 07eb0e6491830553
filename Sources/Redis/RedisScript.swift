/// A Lua script Redis runs atomically. Sent with `EVAL` each time: the scripts are a few
/// hundred bytes, Redis caches them compiled by digest, and a restarted Redis (empty script
/// cache) needs no `NOSCRIPT` round trip.
public struct RedisScript: Sendable {
    public let source: String

    public init(_ source: String) {
        self.source = source
    }

    /// The `EVAL` arguments for these keys and arguments.
    public func arguments(keys: [String], args: [String]) -> [String] {
        ["EVAL", source, String(keys.count)] + keys + args
    }
}

extension RedisClient {
    /// Runs `script` with `keys` and `args` (see `send`).
    public func eval(
        _ script: RedisScript, keys: [String], args: [String],
        _ completion: @escaping @Sendable (Result<RedisReply, RedisError>) -> Void
    ) {
        send(script.arguments(keys: keys, args: args), completion)
    }
}
