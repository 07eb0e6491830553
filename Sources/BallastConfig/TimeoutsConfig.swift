import BallastCore

/// `upstream.timeouts`, in seconds. Every upstream attempt has all four, because a suspended
/// client connection never times out on its own.
public struct TimeoutsConfig: Sendable, Equatable {
    /// Time to establish the TCP (and TLS) connection.
    public var connect: Double
    /// Time from sending the request to the first response byte (the model's think time).
    public var firstByte: Double
    /// Longest silence allowed between two bytes of a response, such as a stalled stream.
    public var idle: Double
    /// Ceiling for the whole attempt, including the streamed body.
    public var total: Double

    public init(connect: Double = 2, firstByte: Double = 60, idle: Double = 30, total: Double = 600) {
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
        if let value = map.positiveDuration("connect", in: path) { config.connect = value }
        if let value = map.positiveDuration("first_byte", in: path) { config.firstByte = value }
        if let value = map.positiveDuration("idle", in: path) { config.idle = value }
        if let value = map.positiveDuration("total", in: path) { config.total = value }
        // A phase longer than the whole attempt can never fire: almost surely a unit slip.
        for (key, value) in [("connect", config.connect), ("first_byte", config.firstByte)] where value > config.total {
            map[key]?.error("'\(path).\(key)' (\(DurationText.format(value))) exceeds 'total' (\(DurationText.format(config.total)))")
        }
        return config
    }
}
