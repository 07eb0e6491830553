/// One line about a canary after a write: `sonnet-next: running at 5% (step 2 of 4)`.
enum CanaryReply {
    static func line(_ document: [String: Any]) -> String {
        let canary = document["canary"] as? [String: Any] ?? [:]
        return "\(canary["name"] as? String ?? "?"): \(canary["summary"] as? String ?? "?")"
    }
}
