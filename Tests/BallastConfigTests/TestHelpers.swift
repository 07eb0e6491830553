import BallastConfig
import Testing

/// The issues `GatewayConfig.parse` reports for `text`; records a test failure when it parses.
func configIssues(_ text: String, file: String = "ballast.yaml", sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [ConfigIssue] {
    do {
        let config = try GatewayConfig.parse(text, file: file)
        Issue.record("expected errors, got \(config)", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.issues
    }
}

/// `line:column` of each issue, for compact assertions on positions.
func positions(_ issues: [ConfigIssue]) -> [String] {
    issues.map { "\($0.location.line):\($0.location.column)" }
}

/// Regions section shared by tests that are about something else.
let minimalRegions = """
    upstream:
      regions:
        - { name: primary, base_url: "https://api.anthropic.com" }
    """
