import ArgumentParser

/// `ballast circuit open|close|reset ID --reason ...`.
struct CircuitCLICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "circuit",
        abstract: "Hold a circuit open or closed, or reset it. ID: region=NAME, model=NAME or region=NAME,model=NAME.")

    enum Verb: String, ExpressibleByArgument, CaseIterable {
        case open, close, reset
    }

    @Argument(help: "open, close or reset.") var verb: Verb
    @Argument(help: "The circuit: region=NAME, model=NAME or region=NAME,model=NAME.") var id: String
    @OptionGroup var write: OperatorWriteOptions
    @OptionGroup var control: ControlOptions

    func run() throws {
        let reply = try control.client().call("POST", "/control/v1/circuits/\(id)/\(verb.rawValue)", body: try write.body())
        let circuit = reply.document["circuit"] as? [String: Any] ?? [:]
        print(
            control.json
                ? ControlClient.pretty(reply.text)
                : "\(circuit["id"] as? String ?? id): \(circuit["state"] as? String ?? "?") (the rules say \(circuit["rules_state"] as? String ?? "?"))")
    }
}
