import ArgumentParser

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
        // An older Ballast has no instances route: the line is left out.
        let instances = try? client.call("GET", "/control/v1/instances").document
        print(
            control.json ? ControlClient.pretty(reply.text) : StatusFormatter.render(reply.document, instances: instances),
            terminator: control.json ? "\n" : "")
    }
}
