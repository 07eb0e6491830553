public import BallastCore
import Dispatch
public import Synchronization
public import Redis

/// The response cache's Redis tier with cross-instance single-flight. A local miss asks
/// Redis once (`GET` the answer, else `SET NX PX` a lock, in one script): a hit is served,
/// the lock's winner makes the upstream call and publishes the answer, everyone else waits
/// (bounded by `maxWait`) until the answer appears, the lock frees (the holder failed: one of
/// them leads next) or the holder's instance has left the membership (its lock is taken over,
/// checked by Redis in the same script). Waiters ask again when the holder's publish is
/// announced on `channel` (`notify`, from the owner's subscriber), and every `pollInterval`
/// in case an announcement is lost. Keys are namespaced by the credential's fingerprint,
/// never the credential; answers above `maxValueBytes` stay local.
public final class SharedCacheTier: Sendable {
    /// GET the answer, else take the lock, else check its holder against the membership hash
    /// (KEYS[3]) in the same step: a holder unseen for the members' ttl is gone, and its lock
    /// is taken over. Without a membership hash every holder counts as alive.
    private static let acquireScript = RedisScript(
        """
        local v = redis.call('GET', KEYS[1])
        if v then return {'hit', v} end
        if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'lead'} end
        local holder = redis.call('GET', KEYS[2]) or ''
        local bar = string.find(holder, '|', 1, true)
        if bar and redis.call('EXISTS', KEYS[3]) == 1 then
          local member = redis.call('HGET', KEYS[3], string.sub(holder, 1, bar - 1))
          local alive = false
          if member then
            local t = redis.call('TIME')
            local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
            local at = tonumber(string.sub(member, 1, (string.find(member, '|', 1, true) or 1) - 1))
            alive = at ~= nil and now - at <= tonumber(ARGV[3])
          end
          if not alive then
            redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
            return {'lead'}
          end
        end
        return {'wait'}
        """)
    private static let publishScript = RedisScript(
        """
        if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
        if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
        redis.call('PUBLISH', ARGV[4], ARGV[5])
        return 1
        """)
    private let client: RedisClient
    private let prefix: String
    public let instanceID: String
    public let maxValueBytes: Int
    public let lockTimeout: Double
    public let pollInterval: Double
    /// Where a leader's publish is announced (the message is `namespace:key`).
    public let channel: String
    /// The turns waiting per `namespace:key`.
    private let waiting = Mutex<[String: [CacheWaitTurn]]>([:])
    /// Members unseen for this long are gone (their locks are taken over).
    public let memberTTL: Double
    private let tokens = Atomic<Int>(0)
    public let hits = Atomic<Int>(0)
    public let leads = Atomic<Int>(0)
    public let waits = Atomic<Int>(0)
    public let alone = Atomic<Int>(0)
    public let published = Atomic<Int>(0)

    /// The time seam: how long a waiter may still wait is read here, never from the system.
    private let clock: any TimeSource

    /// - Parameter memberTTL: the membership's ttl (`SharedMembership.ttl`).
    public init(
        client: RedisClient, keyPrefix: String, instanceID: String, maxValueBytes: Int, lockTimeout: Double,
        memberTTL: Double, pollInterval: Double = 0.1, clock: any TimeSource = SystemClock()
    ) {
        self.client = client
        self.clock = clock
        prefix = keyPrefix
        self.instanceID = instanceID
        self.maxValueBytes = maxValueBytes
        self.lockTimeout = lockTimeout
        self.pollInterval = pollInterval
        self.memberTTL = memberTTL
        channel = keyPrefix + "cache-published"
    }

    /// A leader published (or gave up) `message` = `namespace:key`: its waiters ask again now.
    public func notify(_ message: String) {
        let turns = waiting.withLock { $0.removeValue(forKey: message) } ?? []
        for turn in turns { turn.wake() }
    }

    private func forget(_ turn: CacheWaitTurn, slot: String) {
        waiting.withLock { waiting in
            waiting[slot]?.removeAll { $0 === turn }
            if waiting[slot]?.isEmpty == true { waiting[slot] = nil }
        }
    }

    public var isUp: Bool { client.isUp }

    func valueKey(_ namespace: String, _ key: String) -> String { prefix + "cache:" + namespace + ":" + key }
    func lockKey(_ namespace: String, _ key: String) -> String { prefix + "lock:" + namespace + ":" + key }

    /// A local miss for `key` under `namespace`: completes once with the outcome, on a
    /// background thread; waits at most `maxWait` seconds for another instance's answer.
    public func acquire(
        namespace: String, key: String, maxWait: Double,
        _ completion: @escaping @Sendable (SharedCacheOutcome) -> Void
    ) {
        guard client.isUp else {
            alone.add(1, ordering: .relaxed)
            return completion(.alone)
        }
        let token = instanceID + "|" + String(tokens.add(1, ordering: .relaxed).newValue)
        attempt(
            namespace: namespace, key: key, token: token, until: clock.now().adding(seconds: max(0, min(maxWait, lockTimeout))),
            waited: false, completion)
    }

    /// The leader's answer (nil: it has none): stored with `ttl` when small enough, and the
    /// lock released either way so waiters stop waiting.
    public func publish(namespace: String, key: String, token: String, value: [UInt8]?, ttl: Double) {
        let stored = value.flatMap { $0.count <= maxValueBytes && !$0.isEmpty ? $0 : nil }
        if stored != nil { published.add(1, ordering: .relaxed) }
        let milliseconds = String(max(1, Int((ttl * 1000).rounded())))
        let arguments = Self.publishScript.arguments(
            keys: [valueKey(namespace, key), lockKey(namespace, key)],
            args: ["", milliseconds, token, channel, namespace + ":" + key])
        var bytes = arguments.map { Array($0.utf8) }
        // ARGV[1] is the value itself, binary as it is.
        bytes[5] = stored ?? []
        client.send(bytes: bytes) { _ in }
    }

    private func attempt(
        namespace: String, key: String, token: String, until: MonotonicInstant, waited: Bool,
        _ completion: @escaping @Sendable (SharedCacheOutcome) -> Void
    ) {
        let lockMilliseconds = String(max(1, Int(lockTimeout * 1000)))
        let slot = namespace + ":" + key
        let turn = CacheWaitTurn { [self] in
            attempt(namespace: namespace, key: key, token: token, until: until, waited: true, completion)
        }
        waiting.withLock { $0[slot, default: []].append(turn) }
        client.eval(
            Self.acquireScript, keys: [valueKey(namespace, key), lockKey(namespace, key), prefix + "instances"],
            args: [token, lockMilliseconds, String(memberTTL)]
        ) { [self] result in
            guard case .success(let reply) = result, let items = reply.array, let verdict = items.first?.text else {
                settle(turn, slot: slot)
                alone.add(1, ordering: .relaxed)
                return completion(.alone)
            }
            if verdict != "wait" { settle(turn, slot: slot) }
            switch verdict {
            case "hit":
                hits.add(1, ordering: .relaxed)
                completion(.hit(items.count > 1 ? items[1].bytes ?? [] : []))
            case "lead":
                leads.add(1, ordering: .relaxed)
                completion(.lead(token: token))
            default:
                if !waited { waits.add(1, ordering: .relaxed) }
                let left = until.seconds(since: clock.now())
                guard left > 0 else {
                    settle(turn, slot: slot)
                    alone.add(1, ordering: .relaxed)
                    return completion(.alone)
                }
                DispatchQueue.global().asyncAfter(deadline: .now() + min(left, pollInterval)) { [self] in
                    forget(turn, slot: slot)
                    turn.wake()
                }
                turn.waiting()
            }
        }
    }

    private func settle(_ turn: CacheWaitTurn, slot: String) {
        turn.end()
        forget(turn, slot: slot)
    }
}
