import ArgumentParser

/// `ballast drain REGION --reason ...`: no new request goes to the region.
struct DrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "Drain a region: no new request goes to it until restored or the ttl passes.")

    @Argument(help: "The region's name.") var region: String
    @OptionGroup var write: OperatorWriteOptions
    @OptionGroup var control: ControlOptions

    func run() throws {
        print(try RegionReply.send("drain", region: region, write: write, control: control))
    }
}
