/// `action: { canary: rollback, target: { migration: sonnet-next } }`: what a firing rule asks
/// of a canary. The engine keeps no canary state; the gateway reads the firing rules with
/// canary actions at each evaluation and moves its canaries (`rollback` once, `hold` while the
/// rule fires, `advance` when the step's time is up).
public struct CanaryAction: Sendable, Equatable {
    public enum Command: String, Sendable, Equatable, CaseIterable {
        case rollback, hold, advance
    }

    public var command: Command
    /// One canary's name; nil: every canary.
    public var migration: String?

    public init(command: Command, migration: String? = nil) {
        self.command = command
        self.migration = migration
    }
}
