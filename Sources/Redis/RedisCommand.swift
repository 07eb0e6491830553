/// A command waiting for the client's worker, with whom to tell.
struct RedisCommand: Sendable {
    let arguments: [[UInt8]]
    let completion: @Sendable (Result<RedisReply, RedisError>) -> Void
}
