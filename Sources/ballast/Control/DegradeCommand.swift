import ArgumentParser
import ControlModels

/// `ballast degrade LEVEL|clear --reason ...`.
struct DegradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "degrade", abstract: "Pin the degradation level (0 = none), or `clear` to hand it back to the rules.")

    @Argument(help: "A level, or clear.") var level: String
    @OptionGroup var write: OperatorWriteOptions
    @OptionGroup var control: ControlOptions

    func run() throws {
        let value: OperatorWrite.Level
        if level == "clear" {
            value = .clear
        } else if let number = Int(level), number >= 0 {
            value = .pinned(number)
        } else {
            throw ValidationError("LEVEL must be a whole number from 0, or clear")
        }
        let reply = try control.client().call("PUT", "/control/v1/degradation", body: try write.body(level: value))
        if control.json { return print(try reply.pretty(DegradationStatus.self)) }
        let document = try reply.decode(DegradationStatus.self)
        print("degradation level \(document.level) of \(document.maxLevel) (\(document.source))")
    }
}
