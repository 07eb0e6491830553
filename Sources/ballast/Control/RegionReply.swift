/// One line about a region after a write: `primary: drained, weight 0 of 100`.
enum RegionReply {
    static func line(_ document: [String: Any]) -> String {
        let region = document["region"] as? [String: Any] ?? [:]
        var line = "\(region["name"] as? String ?? "?"): \(region["state"] as? String ?? "?"), "
            + "weight \(region["weight"] as? Int ?? 0) of \(region["configured_weight"] as? Int ?? 0)"
        if let note = document["note"] as? String { line += "\nnote: \(note)" }
        return line
    }
}
