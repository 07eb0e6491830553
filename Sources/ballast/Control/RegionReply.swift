/// A region write (`drain`, `restore`) and the line that reports it:
/// `primary: drained, weight 0 of 100`.
enum RegionReply {
    static func send(_ verb: String, region: String, write: OperatorWriteOptions, control: ControlOptions) throws -> String {
        let reply = try control.client().call("POST", "/control/v1/regions/\(region)/\(verb)", body: try write.body())
        return control.json ? ControlClient.pretty(reply.text) : line(reply.document)
    }

    static func line(_ document: [String: Any]) -> String {
        let region = document["region"] as? [String: Any] ?? [:]
        var line =
            "\(region["name"] as? String ?? "?"): \(region["state"] as? String ?? "?"), "
            + "weight \(region["weight"] as? Int ?? 0) of \(region["configured_weight"] as? Int ?? 0)"
        if let note = document["note"] as? String { line += "\nnote: \(note)" }
        return line
    }
}
