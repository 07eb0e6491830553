public import Redis
/// A Redis hash of newest-wins fields plus a channel announcing changes: the shared control
/// state. The hash is the source of truth (late joiners read it whole); the channel only
/// says "read again". A write older than the field's current value is ignored by the script,
/// so concurrent writers converge on the newest (ties: the larger payload), whatever order
/// their writes arrive in.
public final class SharedStateHash: Sendable {
    private static let putScript = RedisScript(
        """
        local old = redis.call('HGET', KEYS[1], ARGV[1])
        if old then
          local bar = string.find(old, '|', 1, true)
          local at = tonumber(string.sub(old, 1, bar - 1))
          local new = tonumber(ARGV[2])
          if at > new or (at == new and string.sub(old, bar + 1) >= ARGV[3]) then return 0 end
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
        redis.call('PUBLISH', ARGV[4], ARGV[1])
        return 1
        """)

    private let client: RedisClient
    public let hashKey: String
    public let channel: String

    public init(client: RedisClient, hashKey: String, channel: String) {
        self.client = client
        self.hashKey = hashKey
        self.channel = channel
    }

    /// Writes `entry` unless the hash holds a newer value; completes with whether Redis got it
    /// (a newer value already there counts as delivered).
    public func put(_ entry: SharedEntry, _ completion: @escaping @Sendable (Bool) -> Void) {
        let stored = entry.stored
        let bar = stored.firstIndex(of: "|")!
        client.eval(
            Self.putScript, keys: [hashKey],
            args: [entry.field, String(stored[..<bar]), entry.payload, channel]
        ) { result in
            if case .success(let reply) = result, reply.integer != nil { return completion(true) }
            completion(false)
        }
    }

    /// Removes `fields` (an instance that left, its own field on a clean stop) and announces it.
    public func remove(_ fields: [String], _ completion: (@Sendable (Bool) -> Void)? = nil) {
        guard !fields.isEmpty else { return }
        client.eval(Self.removeScript, keys: [hashKey], args: [channel] + fields) { result in
            if case .success = result { completion?(true) } else { completion?(false) }
        }
    }

    private static let removeScript = RedisScript(
        """
        for i = 2, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
        redis.call('PUBLISH', ARGV[1], ARGV[2])
        return 1
        """)

    /// Every field, or nil when Redis did not answer.
    public func fetchAll(_ completion: @escaping @Sendable ([SharedEntry]?) -> Void) {
        client.send(["HGETALL", hashKey]) { result in
            guard case .success(let reply) = result, let items = reply.array else { return completion(nil) }
            var entries: [SharedEntry] = []
            var index = 0
            while index + 1 < items.count {
                if let field = items[index].text, let stored = items[index + 1].text,
                    let entry = SharedEntry(field: field, stored: stored)
                {
                    entries.append(entry)
                }
                index += 2
            }
            completion(entries)
        }
    }
}
