import Synchronization
public import Redis

/// Instances register in one Redis hash with a heartbeat; an entry unseen for `ttl` seconds
/// is removed by the next heartbeat of anyone. Ages are measured with Redis' clock, so
/// instances' clocks need not agree. The list from the last heartbeat is kept for readers
/// (the control API, the metrics) so they never wait on Redis; the cache tier checks a lock
/// holder against the hash itself, inside its lock script.
public final class SharedMembership: Sendable {
    private static let heartbeatScript = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
        redis.call('HSET', KEYS[1], ARGV[1], string.format('%.3f', now) .. '|' .. ARGV[2])
        local all = redis.call('HGETALL', KEYS[1])
        local out = {}
        for i = 1, #all, 2 do
          local bar = string.find(all[i + 1], '|', 1, true)
          local at = bar and tonumber(string.sub(all[i + 1], 1, bar - 1))
          if at == nil or now - at > tonumber(ARGV[3]) then
            redis.call('HDEL', KEYS[1], all[i])
          else
            table.insert(out, all[i])
            table.insert(out, string.format('%.3f', now - at))
            table.insert(out, string.sub(all[i + 1], bar + 1))
          end
        end
        return out
        """)

    private let client: RedisClient
    public let hashKey: String
    public let id: String
    public let ttl: Double
    private let members = Mutex<[SharedMember]?>(nil)

    public init(client: RedisClient, keyPrefix: String, id: String, ttl: Double) {
        self.client = client
        hashKey = keyPrefix + "instances"
        self.id = id
        self.ttl = ttl
    }

    /// The members seen at the last heartbeat (nil before the first one answered).
    public var current: [SharedMember]? { members.withLock { $0 } }

    /// Registers or refreshes this instance with `info` and reads everyone.
    public func heartbeat(info: String, _ completion: (@Sendable (Bool) -> Void)? = nil) {
        client.eval(Self.heartbeatScript, keys: [hashKey], args: [id, info, String(ttl)]) { [self] result in
            guard case .success(let reply) = result, let items = reply.array else {
                completion?(false)
                return
            }
            var list: [SharedMember] = []
            var index = 0
            while index + 2 < items.count {
                if let member = items[index].text, let age = items[index + 1].double, let info = items[index + 2].text {
                    list.append(SharedMember(id: member, age: age, info: info))
                }
                index += 3
            }
            members.withLock { $0 = list.sorted { $0.id < $1.id } }
            completion?(true)
        }
    }

    /// Leaves the membership (a clean stop).
    public func leave() {
        _ = client.call(["HDEL", hashKey, id], timeout: 0.5)
    }
}
