/// What the migration step did to one request.
package struct MigrationOutcome: Sendable {
    /// The model sent upstream now (changed by a deprecation or a canary).
    package var model: String?
    package var canary: CanaryTag?
    /// Headers for the client's response: `x-ballast-canary`, `x-ballast-deprecated`.
    package var responseHeaders: [(name: String, value: String)] = []
    /// Set when the deprecation guard moved the request: (the retiring model, its successor).
    var deprecated: (model: String, successor: String)?
}
