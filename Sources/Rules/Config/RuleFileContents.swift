import BallastConfig

/// What one rule file contributes, plus the positions that checks across files need.
struct RuleFileContents {
    var groups: [RuleGroup] = []
    var groupNames: [(name: String, location: SourceLocation)] = []
    var ruleNames: [(name: String, location: SourceLocation)] = []
    var degradation: (config: DegradationConfig, location: SourceLocation)?
    var routing: (config: RoutingConfig, location: SourceLocation)?
    /// `degrade: N` values, checked against the ladder once every file is read.
    var degradeLevels: [(level: Int, location: SourceLocation)] = []
}
