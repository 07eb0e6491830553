import BallastCore

/// One entry of the model fallback map: models matching `pattern` (`*` any run of
/// characters, `?` one) fall back to `model`.
public struct ModelFallback: Sendable, Equatable {
    public var pattern: String
    public var model: String

    public init(pattern: String, model: String) {
        self.pattern = pattern
        self.model = model
    }

    public func matches(_ candidate: String) -> Bool {
        Glob.matches(pattern, candidate)
    }
}
