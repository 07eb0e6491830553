/// The outcome of one test file.
public struct RuleTestFileResult: Sendable {
    public var passed: Int
    public var failed: Int
    /// The test or rule files had errors, so no test ran.
    public var fileErrors: Bool
    public var text: String
    /// Per test: its name and its failures (empty when it passed).
    public var tests: [(name: String, failures: [String])]
}
