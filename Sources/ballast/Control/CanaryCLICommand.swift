import ArgumentParser
import ControlModels

/// `ballast canary list|start|advance|hold|resume|rollback|finish`: the canaries of a running
/// Ballast.
struct CanaryCLICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canary",
        abstract: "List, start and steer canaries (API-version and model migrations).",
        subcommands: [List.self, Start.self, Step.self])

    /// One line about a canary after a write: `sonnet-next: running at 5% (step 2 of 4)`.
    static func line(_ reply: ControlReply.Canary) -> String {
        "\(reply.canary.name): \(reply.canary.summary)"
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The canaries with their phase, share and per-side figures.")
        @OptionGroup var control: ControlOptions

        func run() throws {
            let reply = try control.client().call("GET", "/control/v1/canaries")
            print(
                control.json
                    ? try reply.pretty(ControlReply.Canaries.self)
                    : StatusFormatter.canariesTable(try reply.decode(ControlReply.Canaries.self).canaries), terminator: control.json ? "\n" : "")
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start", abstract: "Start a canary: move a share of FROM's requests to TO, step by step.")
        @Argument(help: "The canary's name.") var name: String
        @Option(name: .long, help: "The model (glob) requests have now.") var fromModel: String?
        @Option(name: .long, help: "The anthropic-version requests have now.") var fromVersion: String?
        @Option(name: .long, help: "The model to move them to.") var toModel: String?
        @Option(name: .long, help: "The anthropic-version to move them to.") var toVersion: String?
        @Option(name: .long, help: "Shares, comma-separated, e.g. 1%,5%,25%,100%.") var steps: String = "1%,5%,25%,100%"
        @Option(name: .long, help: "Least time per step, e.g. 10m.") var minStepTime: String = "10m"
        @Option(name: .long, help: "Why (required; recorded in the audit log).") var reason: String
        @OptionGroup var control: ControlOptions

        func run() throws {
            let body = CanaryStart(
                name: name, from: .init(model: fromModel, anthropicVersion: fromVersion), to: .init(model: toModel, anthropicVersion: toVersion),
                steps: steps.split(separator: ",").map { String($0) }, minStepTime: minStepTime, reason: reason)
            let reply = try control.client().call("POST", "/control/v1/canaries", body: body)
            print(control.json ? try reply.pretty(ControlReply.Canary.self) : CanaryCLICommand.line(try reply.decode(ControlReply.Canary.self)))
        }
    }

    /// `ballast canary advance|hold|resume|rollback|finish NAME --reason ...`
    struct Step: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "advance, hold, resume, rollback or finish a canary.")
        enum Verb: String, ExpressibleByArgument, CaseIterable {
            case advance, hold, resume, rollback, finish
        }
        @Argument(help: "advance, hold, resume, rollback or finish.") var verb: Verb
        @Argument(help: "The canary's name.") var name: String
        @Option(name: .long, help: "Why (required; recorded in the audit log).") var reason: String
        @OptionGroup var control: ControlOptions

        func run() throws {
            let reply = try control.client().call("POST", "/control/v1/canaries/\(name)/\(verb.rawValue)", body: OperatorWrite(reason: reason))
            print(control.json ? try reply.pretty(ControlReply.Canary.self) : CanaryCLICommand.line(try reply.decode(ControlReply.Canary.self)))
        }
    }
}
