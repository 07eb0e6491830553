import ArgumentParser

/// `ballast restore REGION --reason ...`: clears a drain or pinned weight.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a region: clear the operator's drain or weight; the rules govern again.")

    @Argument(help: "The region's name.") var region: String
    @OptionGroup var write: OperatorWriteOptions
    @OptionGroup var control: ControlOptions

    func run() throws {
        print(try RegionReply.send("restore", region: region, write: write, control: control))
    }
}
