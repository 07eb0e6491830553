/// One upstream attempt of a client request (a request has one or more: retries, hedges).
public struct AttemptRecord: Sendable, Equatable {
    public var time: Double
    public var region: String
    public var model: String?
    /// 1 for the first attempt of its request.
    public var index: Int
    public var status: Int
    public var outcome: OutcomeClass
    public var errorType: String?
    public var hedge: Bool
    /// Cancelled by Ballast (the hedge that lost, the client that left).
    public var cancelled: Bool
    public var latency: Double
    public var timeToFirstByte: Double?
    /// Tokens, their cost, and whether they were overhead.
    public var spend = AttemptUsage()
    /// The rules' attempt windows already counted this attempt before its request ended: when
    /// the attempt ended, or as a failure of its region when its first byte fell overdue
    /// (`CallMachine.Note.firstByteOverdue`). The request's record does not count it there
    /// again, whatever the attempt turned out to be.
    public var countedEarly = false

    public init(
        time: Double, region: String, model: String?, index: Int, status: Int, outcome: OutcomeClass,
        errorType: String? = nil, hedge: Bool = false, cancelled: Bool = false, latency: Double,
        timeToFirstByte: Double? = nil
    ) {
        self.time = time
        self.region = region
        self.model = model
        self.index = index
        self.status = status
        self.outcome = outcome
        self.errorType = errorType
        self.hedge = hedge
        self.cancelled = cancelled
        self.latency = latency
        self.timeToFirstByte = timeToFirstByte
    }
}
