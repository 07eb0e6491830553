/// A request body Ballast cannot translate for a cloud region (the gateway checked it was JSON,
/// so in practice: not a JSON object).
public struct CloudTranslationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
