/// The canary side a series reads: `{canary="new"}` or `{canary="old"}`, optionally one
/// canary's (`migration="sonnet-next"`); without it, the side of every canary together.
/// Canary series count upstream attempts, like region series: retries would hide a failing
/// new side from request counts.
public struct CanarySelector: Hashable, Sendable, CustomStringConvertible {
    public enum Side: String, Sendable, CaseIterable {
        case old, new
    }

    public var side: Side
    public var migration: String?

    public init(side: Side, migration: String? = nil) {
        self.side = side
        self.migration = migration
    }

    /// True when a series of `other` (added with one canary's name) belongs to this selector.
    public func covers(_ other: CanarySelector) -> Bool {
        side == other.side && (migration == nil || migration == other.migration)
    }

    public var description: String {
        "canary=\(side.rawValue)" + (migration.map { ",migration=\($0)" } ?? "")
    }
}
