import BallastCore

/// `upstream.timeouts`. Every upstream attempt has all four, because a suspended
/// client connection never times out on its own.
public struct TimeoutsConfig: Sendable, Equatable {
    /// Time to establish the TCP (and TLS) connection.
    public var connect: Duration
    /// Time from sending the request to the first response byte (the model's think time).
    public var firstByte: Duration
    /// Longest silence allowed between two bytes of a response, such as a stalled stream.
    public var idle: Duration
    /// Ceiling for the whole attempt, including the streamed body.
    public var total: Duration

    public init(connect: Duration = .seconds(2), firstByte: Duration = .seconds(60), idle: Duration = .seconds(30), total: Duration = .seconds(600)) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
        self.total = total
    }
}

extension TimeoutsConfig {
    static func read(_ map: ConfigMapping?) -> TimeoutsConfig {
        var config = TimeoutsConfig()
        guard let map else { return config }
        let path = "upstream.timeouts"
        if let value = map.positiveDuration("connect", in: path) { config.connect = .seconds(value) }
        if let value = map.positiveDuration("first_byte", in: path) { config.firstByte = .seconds(value) }
        if let value = map.positiveDuration("idle", in: path) { config.idle = .seconds(value) }
        if let value = map.positiveDuration("total", in: path) { config.total = .seconds(value) }
        // A phase longer than the whole attempt can never fire: almost surely a unit slip.
        for (key, value) in [("connect", config.connect), ("first_byte", config.firstByte)] where value > config.total {
            map[key]?.error("'\(path).\(key)' (\(DurationText.format(value.seconds))) exceeds 'total' (\(DurationText.format(config.total.seconds)))")
        }
        return config
    }
}
