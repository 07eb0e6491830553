import BallastConfig
/// `ballast rules check FILES`: loads the files together, as the server would, and prints
/// every error with file:line:column, or a summary per file.
public enum RuleCheck {
    public static func run(paths: [String], context: RuleContext = RuleContext()) -> CommandReport {
        let files = RuleFiles.expand(paths)
        guard !files.isEmpty else { return CommandReport(exitStatus: 1, text: "no rule files given or matched\n") }
        switch RuleSet.load(paths: files, context: context) {
        case .failure(let error):
            let count = error.issues.count
            let text = error.issues.map { "\($0)\n" }.joined() + "FAILED: \(count) \(count == 1 ? "error" : "errors")\n"
            return CommandReport(exitStatus: 1, text: text)
        case .success(let ruleSet):
            var text = ""
            for file in ruleSet.files {
                let groups = ruleSet.groups.filter { $0.file == file }
                let rules = groups.reduce(0) { $0 + $1.rules.count }
                text += "\(file): \(groups.count) \(groups.count == 1 ? "group" : "groups"), \(rules) \(rules == 1 ? "rule" : "rules")\n"
            }
            if context.regions.isEmpty { text += "note: region names were not checked (give --config to check them)\n" }
            text += "SUCCESS: \(ruleSet.files.count) files, \(ruleSet.groups.count) groups, \(ruleSet.rules.count) rules\n"
            return CommandReport(exitStatus: 0, text: text)
        }
    }
}
