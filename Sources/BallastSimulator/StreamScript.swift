/// The events of one streamed reply, in order, with the time each is due (seconds after the
/// first byte): the opening events and the first delta at once, then a delta every token
/// interval, then the closing events right after the last delta.
struct StreamScript: Sendable {
    private let head: [UInt8]
    private let reply: ReplyText
    private let tail: [UInt8]
    private let cachedDeltas: [[UInt8]]
    let deltasToSend: Int
    let tokenInterval: Double
    /// True when the stream ends with an injected `event: error` instead of `message_stop`.
    let endsWithError: Bool
    /// True for a Bedrock region: each event goes out as an AWS event-stream frame.
    let eventStream: Bool

    init(
        id: String, request: MessagesRequest, plan: ReplyPlan, tokenInterval: Double, injectError: Bool,
        eventStream: Bool = false
    ) {
        self.eventStream = eventStream
        let head = Array(
            (MessageEncoder.messageStart(id: id, model: request.model, inputTokens: request.inputTokens)
                + MessageEncoder.contentBlockStart + MessageEncoder.ping).utf8)
        self.head = eventStream ? EventStreamFrames.fromSSE(head) : head
        reply = plan.text
        self.tokenInterval = tokenInterval
        endsWithError = injectError
        if injectError {
            // Midway, as an overloaded backend cuts a generation short.
            deltasToSend = plan.text.deltaCount / 2
            tail = Self.framed(Array(MessageEncoder.overloadedError.utf8), eventStream)
        } else {
            deltasToSend = plan.text.deltaCount
            tail = Self.framed(
                Array(
                    (MessageEncoder.contentBlockStop
                        + MessageEncoder.messageDelta(stopReason: plan.stopReason, outputTokens: plan.outputTokens)
                        + MessageEncoder.messageStop).utf8), eventStream)
        }
        // Padded replies cycle through a few pieces: encode each once, not once per delta.
        cachedDeltas =
            plan.text.distinctDeltas < plan.text.deltaCount
            ? (0..<plan.text.distinctDeltas).map { Self.framed(Array(MessageEncoder.textDelta(plan.text.delta($0)).utf8), eventStream) }
            : []
    }

    /// Head, deltas, tail.
    var count: Int { deltasToSend + 2 }

    func bytes(_ index: Int) -> [UInt8] {
        if index == 0 { return head }
        if index == count - 1 { return tail }
        let delta = index - 1
        if !cachedDeltas.isEmpty { return cachedDeltas[delta % cachedDeltas.count] }
        return Self.framed(Array(MessageEncoder.textDelta(reply.delta(delta)).utf8), eventStream)
    }

    private static func framed(_ sse: [UInt8], _ eventStream: Bool) -> [UInt8] {
        eventStream ? EventStreamFrames.fromSSE(sse) : sse
    }

    /// Seconds after the first byte at which event `index` is due.
    func due(_ index: Int) -> Double {
        if index == 0 { return 0 }
        if index == count - 1 {
            return endsWithError ? Double(deltasToSend) * tokenInterval : Double(max(0, deltasToSend - 1)) * tokenInterval
        }
        return Double(index - 1) * tokenInterval
    }
}
