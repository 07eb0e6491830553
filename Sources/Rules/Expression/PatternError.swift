/// Why a matcher's regular expression did not compile.
struct PatternError: Error, Sendable {
    var message: String
}
