import Redis
/// One client key's rate buckets and daily spend in Redis, so several instances enforce one
/// key's limits together. The buckets live in a hash per key name (fields `r`, `i`, `o`: the
/// request, input-token and output-token levels; `ts`: last refill), the day's spend in a
/// counter per key name and UTC day. Each bucket refills at its per-minute figure / 60 per
/// second up to the per-minute figure, as `ClientAllowance` does locally. Times come from
/// Redis' own `TIME`: instances' clocks never have to agree.
enum ClientLimitScripts {
    /// ARGV[1..3] = the per-minute limits (0: unlimited); defines `now`, `limits`, `levels`
    /// (refilled) and `save(ttl)`.
    static let prelude = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
        local limits = {tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])}
        local h = redis.call('HMGET', KEYS[1], 'r', 'i', 'o', 'ts')
        local ts = tonumber(h[4]) or now
        local levels = {0, 0, 0}
        for k = 1, 3 do
          local cap = limits[k]
          if cap > 0 then
            local level = tonumber(h[k]) or cap
            if now > ts then level = level + cap / 60 * (now - ts) end
            if level > cap then level = cap end
            levels[k] = level
          end
        end
        local function save(ttl)
          redis.call('HSET', KEYS[1], 'r', tostring(levels[1]), 'i', tostring(levels[2]), 'o', tostring(levels[3]),
                     'ts', tostring(now))
          redis.call('PEXPIRE', KEYS[1], ttl)
        end
        """

    /// Admission: KEYS = bucket hash, today's spend counter; ARGV = 3 limits, input cost,
    /// output cost, daily budget (0: none), ttl ms. Returns {verdict, dimension (1-3), wait s,
    /// level r, level i, level o, spent} as strings; verdict is `ok`, `rate` or `budget`.
    static let admit = RedisScript(
        prelude + """

            local costs = {1, tonumber(ARGV[4]), tonumber(ARGV[5])}
            local budget, ttl = tonumber(ARGV[6]), tonumber(ARGV[7])
            local spent = tonumber(redis.call('GET', KEYS[2])) or 0
            local function reply(verdict, dim, wait)
              return {verdict, tostring(dim), tostring(wait), tostring(levels[1]), tostring(levels[2]), tostring(levels[3]),
                      tostring(spent)}
            end
            if budget > 0 and spent >= budget then
              save(ttl)
              return reply('budget', 0, 0)
            end
            local wait, dim = 0, 0
            for k = 1, 3 do
              if limits[k] > 0 then
                local need = math.min(costs[k], limits[k]) - levels[k]
                if need > 0 then
                  local w = need / (limits[k] / 60)
                  if w > wait then wait = w; dim = k end
                end
              end
            end
            if dim > 0 then
              save(ttl)
              return reply('rate', dim, wait)
            end
            for k = 1, 3 do
              if limits[k] > 0 then levels[k] = levels[k] - costs[k] end
            end
            save(ttl)
            spent = tonumber(redis.call('INCRBYFLOAT', KEYS[2], tostring(costs[2] + costs[3])))
            redis.call('EXPIRE', KEYS[2], 172800)
            return reply('ok', 0, 0)
            """)

    /// Settlement: KEYS as `admit`; ARGV = 3 limits, input refund, output refund (charged less
    /// used; negative takes more), spend change (used less charged), ttl ms. Returns the spend.
    static let settle = RedisScript(
        prelude + """

            local refunds = {0, tonumber(ARGV[4]), tonumber(ARGV[5])}
            local delta, ttl = tonumber(ARGV[6]), tonumber(ARGV[7])
            for k = 2, 3 do
              if limits[k] > 0 then levels[k] = math.min(limits[k], levels[k] + refunds[k]) end
            end
            save(ttl)
            local spent = tonumber(redis.call('GET', KEYS[2])) or 0
            if delta ~= 0 then
              spent = tonumber(redis.call('INCRBYFLOAT', KEYS[2], tostring(delta)))
              if spent < 0 then redis.call('SET', KEYS[2], '0'); spent = 0 end
              redis.call('EXPIRE', KEYS[2], 172800)
            end
            return tostring(spent)
            """)
}
