/// One audit-log entry: who changed what, when (wall-clock seconds) and why.
package struct ActionEntry: Codable, Sendable, Equatable {
    package var id: Int
    @Nullable package var time: Double?
    package var kind: String
    package var target: String
    package var action: String
    package var reason: String
    package var actor: String

    package init(id: Int, time: Double?, kind: String, target: String, action: String, reason: String, actor: String) {
        self.id = id
        self.time = time
        self.kind = kind
        self.target = target
        self.action = action
        self.reason = reason
        self.actor = actor
    }
}
