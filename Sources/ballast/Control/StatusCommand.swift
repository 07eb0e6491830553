import ArgumentParser
import ControlModels

/// `ballast status`: regions, degradation, overrides and recent actions from a running
/// Ballast's control API.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what a running Ballast is doing: regions, circuits, degradation, overrides, recent actions.")

    @OptionGroup var control: ControlOptions

    func run() throws {
        let client = try control.client()
        let reply = try client.call("GET", "/control/v1/status")
        if control.json { return print(try reply.pretty(StatusDocument.self)) }
        // An older Ballast has no instances route: the line is left out.
        let instances = try? client.call("GET", "/control/v1/instances").decode(InstancesDocument.self)
        print(StatusFormatter.render(try reply.decode(StatusDocument.self), instances: instances), terminator: "")
    }
}
