import ArgumentParser
import ControlModels

/// `ballast reload --reason ...`: reloads the rule files of a running Ballast, all or nothing.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload", abstract: "Reload a running Ballast's rule files; a reload with any error changes nothing.")

    @Option(name: .long, help: "Why (required; recorded in the audit log).") var reason: String
    @OptionGroup var control: ControlOptions

    func run() throws {
        let reply = try control.client().call("POST", "/control/v1/rules/reload", body: OperatorWrite(reason: reason))
        print(
            control.json
                ? try reply.pretty(ControlReply.RulesReloaded.self) : "reloaded: \(try reply.decode(ControlReply.RulesReloaded.self).rules) rules")
    }
}
