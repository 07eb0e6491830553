import ArgumentParser
import Foundation

/// `ballast degrade LEVEL|clear --reason ...`.
struct DegradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "degrade", abstract: "Pin the degradation level (0 = none), or `clear` to hand it back to the rules.")

    @Argument(help: "A level, or clear.") var level: String
    @OptionGroup var write: OperatorWriteOptions
    @OptionGroup var control: ControlOptions

    func run() throws {
        let value: Any
        if level == "clear" {
            value = NSNull()
        } else if let number = Int(level), number >= 0 {
            value = number
        } else {
            throw ValidationError("LEVEL must be a whole number from 0, or clear")
        }
        let reply = try control.client().call("PUT", "/control/v1/degradation", body: try write.body(["level": value]))
        let document = reply.document
        print(
            control.json
                ? ControlClient.pretty(reply.text)
                : "degradation level \(document["level"] as? Int ?? 0) of \(document["max_level"] as? Int ?? 0) (\(document["source"] as? String ?? "?"))")
    }
}
