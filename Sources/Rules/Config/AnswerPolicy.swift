/// Level 4 of the default ladder: answer without the upstream, from the response cache
/// (`stale` allows entries past their freshness) or else from a template.
public struct AnswerPolicy: Sendable, Equatable {
    public var cache: Bool
    public var stale: Bool
    /// Used when the cache has nothing (or `cache` is false); nil: such requests go upstream.
    public var template: TemplateAnswer?

    public init(cache: Bool = true, stale: Bool = true, template: TemplateAnswer? = nil) {
        self.cache = cache
        self.stale = stale
        self.template = template
    }
}
