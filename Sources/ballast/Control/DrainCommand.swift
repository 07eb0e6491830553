import ArgumentParser

/// `ballast drain REGION --reason ...`: no new request goes to the region.
struct DrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "Drain a region: no new request goes to it until restored or the ttl passes.")

    @Argument(help: "The region's name.") var region: String
    @OptionGroup var write: OperatorWriteOptions
    @OptionGroup var control: ControlOptions

    func run() throws {
        let reply = try control.client().call("POST", "/control/v1/regions/\(region)/drain", body: try write.body())
        print(control.json ? ControlClient.pretty(reply.text) : RegionReply.line(reply.document))
    }
}
