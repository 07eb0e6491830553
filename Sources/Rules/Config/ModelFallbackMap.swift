/// The ordered model fallback map (`claude-opus-*` -> a Sonnet model -> a Haiku model), used
/// by degradation level 2 and by model circuits opened with `mode: fallback`. The first
/// matching pattern wins.
public struct ModelFallbackMap: Sendable, Equatable {
    public var entries: [ModelFallback]

    public init(_ entries: [ModelFallback] = []) { self.entries = entries }

    /// The direct fallback of `model`, if any.
    public func fallback(for model: String) -> String? {
        entries.first { $0.matches(model) }.map(\.model)
    }

    /// The first model down the chain from `model` that `isAvailable` accepts (a model whose
    /// circuit is open is skipped); nil when the chain ends or loops first.
    public func fallback(for model: String, isAvailable: (String) -> Bool) -> String? {
        var seen: Set<String> = [model]
        var current = model
        while let next = fallback(for: current), seen.insert(next).inserted {
            if isAvailable(next) { return next }
            current = next
        }
        return nil
    }

    /// The first model reached twice when following the chain from `model`, if the chain loops.
    func loop(from model: String) -> String? {
        var seen: Set<String> = [model]
        var current = model
        while let next = fallback(for: current) {
            if !seen.insert(next).inserted { return next }
            current = next
        }
        return nil
    }
}
