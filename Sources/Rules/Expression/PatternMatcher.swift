import Synchronization

/// A compiled regular expression for `=~` / `!~` matchers, matched against whole label values.
///
/// Label values are few (regions, bounded model names), so each value's answer is remembered:
/// after the first evaluation a regex matcher costs a dictionary look-up. `Regex` is not
/// `Sendable`, hence the lock; it is only taken for values not seen before.
final class PatternMatcher: Sendable {
    let pattern: String

    private struct Storage {
        var regex: Regex<AnyRegexOutput>
        var answers: [String: Bool]
    }

    private let storage: Mutex<Storage>

    /// Compiles `pattern`; throws the regex error's description when it does not compile.
    init(_ pattern: String) throws(PatternError) {
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(pattern)
        } catch {
            throw PatternError(message: "\(error)")
        }
        self.pattern = pattern
        storage = Mutex(Storage(regex: regex, answers: [:]))
    }

    func matches(_ value: String) -> Bool {
        storage.withLock { storage in
            if let known = storage.answers[value] { return known }
            let answer = (try? storage.regex.wholeMatch(in: value)) != nil
            if storage.answers.count < 10_000 { storage.answers[value] = answer }
            return answer
        }
    }
}
