import ControlModels

/// One line about a canary after a write: `sonnet-next: running at 5% (step 2 of 4)`.
enum CanaryReply {
    static func line(_ reply: ControlReply.Canary) -> String {
        "\(reply.canary.name): \(reply.canary.summary)"
    }
}
