import Redis
/// The organisation-wide token bucket per region|model, kept in a Redis hash and changed only
/// by these scripts, so every instance sees one bucket. A new bucket starts with one token,
/// not a full burst: the upstream's own bucket may already be partly spent. Times come from Redis' own `TIME`:
/// instances' clocks never have to agree.
///
/// Fields: `level` (tokens; negative = slots already handed out for the near future), `ts`
/// (last refill), `rate` (the AIMD allowance, requests/s), `ceiling` (the announced limit
/// times the headroom), `cut` (last decrease), `inc` (last increase).
enum BucketScripts {
    /// Refill and additive increase, shared by both scripts.
    static let prelude = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
        local h = redis.call('HMGET', KEYS[1], 'level', 'ts', 'rate', 'ceiling', 'cut', 'inc')
        local level, ts, rate, ceiling = tonumber(h[1]), tonumber(h[2]), tonumber(h[3]), tonumber(h[4])
        local cut, inc = tonumber(h[5]) or 0, tonumber(h[6]) or now
        local function refill(burst, increase)
          if ceiling == nil then return end
          if rate == nil then rate = ceiling; level = 1; ts = now; inc = now end
          if rate < ceiling and now > inc then rate = math.min(ceiling, rate + increase * ceiling * (now - inc)) end
          inc = now
          if rate > ceiling then rate = ceiling end
          if now > ts then level = math.min(math.max(1, rate * burst), level + rate * (now - ts)); ts = now end
        end
        local function save(ttl)
          redis.call('HSET', KEYS[1], 'level', tostring(level), 'ts', tostring(ts), 'rate', tostring(rate),
                     'ceiling', tostring(ceiling), 'cut', tostring(cut), 'inc', tostring(inc))
          redis.call('PEXPIRE', KEYS[1], ttl)
        end
        """

    /// Lease: ARGV = want, ceiling hint (0: unknown), horizon s, burst s, increase (fraction of
    /// the ceiling per second), ttl ms. Grants up to `want` tokens whose slots fall within
    /// `horizon` seconds. Returns {granted, level before, rate, seconds until a slot frees}
    /// as strings; granted = -1 means no limit is known anywhere (send freely).
    static let lease = RedisScript(
        prelude + """

            local want, hint, horizon = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            local burst, increase, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
            if hint > 0 then ceiling = hint end
            if ceiling == nil then return {'-1', '0', '0', '0'} end
            refill(burst, increase)
            local granted = math.floor(level - 1 + rate * horizon) + 1
            if granted < 0 then granted = 0 end
            if granted > want then granted = want end
            local before = level
            level = level - granted
            local full = 0
            if granted < want then full = math.max(0, (1 - level) / rate - horizon) end
            save(ttl)
            return {tostring(granted), tostring(before), tostring(rate), tostring(full)}
            """)

    /// After a 429: ARGV = decrease factor, cooldown s, minimum rate, hold s (retry-after),
    /// burst s, increase, ttl ms. The bucket is emptied (the upstream's was), and a hold keeps
    /// it empty for that long; a factor below 1 is a multiplicative decrease, at most once per
    /// cooldown (a factor of 1, for a 429 the headers explain, neither cuts nor starts the
    /// cooldown). Returns {cut (1/0), rate}.
    static let cut = RedisScript(
        prelude + """

            local factor, cooldown, minimum, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
            local burst, increase, ttl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
            if ceiling == nil then return {'0', '0'} end
            refill(burst, increase)
            local didCut = 0
            if factor < 1 and now - cut >= cooldown then
              rate = math.max(minimum, rate * factor)
              cut = now
              inc = now
              didCut = 1
            end
            if level > 0 then level = 0 end
            if hold > 0 then level = math.min(level, -rate * hold) end
            save(ttl)
            return {tostring(didCut), tostring(rate)}
            """)
}
