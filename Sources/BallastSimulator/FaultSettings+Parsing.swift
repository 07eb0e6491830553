import BallastConfig

extension FaultSettings {
    /// Parses a `faults` section on its own (YAML or JSON, which YAML contains), as
    /// `PUT /_sim/faults` receives it. Absent keys take the fault-free defaults.
    public static func parse(_ text: String, file: String = "faults") throws -> FaultSettings {
        let issues = ConfigIssues()
        guard let root = ConfigNode.parse(text, file: file, issues: issues) else { throw issues.error }
        let faults = SimulatorConfigReader.faults(root)
        try issues.throwIfAny()
        return faults
    }
}
