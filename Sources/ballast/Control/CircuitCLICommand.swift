import ArgumentParser
import ControlModels

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
        if control.json { return print(try reply.pretty(ControlReply.Circuit.self)) }
        let circuit = try reply.decode(ControlReply.Circuit.self).circuit
        print("\(circuit.id): \(circuit.state) (the rules say \(circuit.rulesState))")
    }
}
