/// A model with a retirement date and the model that replaces it.
public struct DeprecatedModel: Sendable, Equatable {
    public var model: String
    /// The retirement date as written (`2026-01-05`) and as UTC midnight in wall seconds.
    public var retires: String
    public var retiresAt: Double
    public var successor: String

    public init(model: String, retires: String, retiresAt: Double, successor: String) {
        self.model = model
        self.retires = retires
        self.retiresAt = retiresAt
        self.successor = successor
    }
}
