/// `action: { degrade: N }`: hold the degradation ladder at level N or above while the rule
/// fires; once it has resolved, step down one level per `after`.
public struct DegradeAction: Sendable, Equatable {
    public var level: Int
    public var after: Duration

    public init(level: Int, after: Duration = .seconds(60)) {
        self.level = level
        self.after = after
    }
}
