import BallastConfig

extension TokenIssuerFaults {
    /// Parses the body of `PUT /_sim/oauth` (JSON, or YAML, which contains it), e.g.
    /// `{"down": true, "delay": "2s"}`. Absent keys take the fault-free defaults, so a PUT
    /// replaces the faults as `PUT /_sim/faults` does for a region. Throws a `ConfigError`
    /// with line:column.
    public static func parse(_ text: String, file: String = "oauth faults") throws -> TokenIssuerFaults {
        let issues = ConfigIssues()
        guard let root = ConfigNode.parse(text, file: file, issues: issues) else { throw issues.error }
        let faults = SimulatorConfigReader.tokenIssuerFaults(root)
        try issues.throwIfAny()
        return faults
    }

    /// The JSON of `GET /_sim/oauth`, which `parse` reads back (`delay` in seconds).
    public var json: String {
        "{\"down\":\(down),\"delay\":\(FaultSettings.number(delay))}"
    }
}
