/// Level 3 of the default ladder: refuse requests of the given `x-ballast-priority` values
/// with `status` and `retry-after`, so the capacity left goes to the requests that matter.
public struct ShedPolicy: Sendable, Equatable {
    /// `x-ballast-priority` header values that are shed.
    public var priorities: [String]
    /// 529 (overloaded) by default; 429 and 503 are allowed.
    public var status: Int
    /// Sent as `retry-after`, in whole seconds rounded up.
    public var retryAfter: Duration

    public init(priorities: [String] = ["low"], status: Int = 529, retryAfter: Duration = .seconds(30)) {
        self.priorities = priorities
        self.status = status
        self.retryAfter = retryAfter
    }
}
