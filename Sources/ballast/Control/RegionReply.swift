import ControlModels

/// A region write (`drain`, `restore`) and the line that reports it:
/// `primary: drained, weight 0 of 100`.
enum RegionReply {
    static func send(_ verb: String, region: String, write: OperatorWriteOptions, control: ControlOptions) throws -> String {
        let reply = try control.client().call("POST", "/control/v1/regions/\(region)/\(verb)", body: try write.body())
        return control.json ? try reply.pretty(ControlReply.Region.self) : line(try reply.decode(ControlReply.Region.self))
    }

    static func line(_ reply: ControlReply.Region) -> String {
        var line = "\(reply.region.name): \(reply.region.state), weight \(reply.region.weight) of \(reply.region.configuredWeight)"
        if let note = reply.note { line += "\nnote: \(note)" }
        return line
    }
}
