/// One row of the audit table as read back: an `AuditEvent` with its id, which orders
/// entries written in the same instant and pages through the log.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int
    public var time: Double
    public var kind: String
    public var target: String
    public var action: String
    public var reason: String
    public var actor: String

    public init(id: Int, time: Double, kind: String, target: String, action: String, reason: String, actor: String) {
        self.id = id
        self.time = time
        self.kind = kind
        self.target = target
        self.action = action
        self.reason = reason
        self.actor = actor
    }
}
