import ArgumentParser

/// `ballast status`: regions, degradation, overrides and recent actions from a running
/// Ballast's control API.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what a running Ballast is doing: regions, circuits, degradation, overrides, recent actions.")

    @OptionGroup var control: ControlOptions

    func run() throws {
        let reply = try control.client().call("GET", "/control/v1/status")
        print(control.json ? ControlClient.pretty(reply.text) : StatusFormatter.render(reply.document), terminator: control.json ? "\n" : "")
    }
}
