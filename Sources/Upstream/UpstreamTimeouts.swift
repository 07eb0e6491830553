/// The four clocks that bound an upstream call, in seconds.
///
/// LLM calls need all four: a dead host is found by `connect`, a stuck model by
/// `firstByte`, a stalled stream by `idle`, and a runaway answer by `total`.
public struct UpstreamTimeouts: Sendable, Equatable {
    public var connect: Double
    public var firstByte: Double
    public var idle: Double
    public var total: Double

    public init(connect: Double = 2, firstByte: Double = 60, idle: Double = 30, total: Double = 600) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
        self.total = total
    }
}
