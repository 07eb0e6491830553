/// An instance in the membership hash, as the last heartbeat described it.
public struct SharedMember: Sendable, Equatable {
    public var id: String
    /// Seconds since its last heartbeat, by Redis' clock.
    public var age: Double
    /// What it said about itself (JSON: version, listeners, start time).
    public var info: String

    public init(id: String, age: Double, info: String) {
        self.id = id
        self.age = age
        self.info = info
    }
}
