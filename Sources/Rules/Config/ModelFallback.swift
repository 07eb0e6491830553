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
        Self.glob(Array(pattern.unicodeScalars)[...], Array(candidate.unicodeScalars)[...])
    }

    private static func glob(_ pattern: ArraySlice<Unicode.Scalar>, _ text: ArraySlice<Unicode.Scalar>) -> Bool {
        var p = pattern.startIndex
        var t = text.startIndex
        var star: Int?
        var resume = text.startIndex
        while t < text.endIndex {
            if p < pattern.endIndex, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.endIndex, pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if let s = star {
                p = s + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == "*" { p += 1 }
        return p == pattern.endIndex
    }
}
