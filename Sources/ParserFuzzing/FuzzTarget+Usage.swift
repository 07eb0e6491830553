import BallastCore
import Tracing

extension FuzzTarget {
    /// An answer body as the upstream may send it, and the same bytes as stream events.
    static func messageUsage(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        let body = MessageUsage.fromMessageBody(bytes)
        check(body)
        var stream = MessageUsage.unknown
        let text = String(decoding: bytes, as: UTF8.self)
        stream.apply(SSEEvent(name: "message_start", data: #"{"message":"# + text + "}"))
        stream.apply(SSEEvent(name: "message_delta", data: text))
        check(stream)
        if body.isKnown, Array(text.utf8) == bytes {  // stream events are text: compare valid UTF-8 only
            // The final delta carrying the same top-level usage reads the same counts.
            var delta = MessageUsage.unknown
            delta.apply(SSEEvent(name: "message_delta", data: text))
            precondition(delta == body, "usage: a body and the same object as a message_delta read differently")
        }
    }

    private static func check(_ usage: MessageUsage) {
        precondition(
            usage.inputTokens >= 0 && usage.outputTokens >= 0 && usage.cacheCreationInputTokens >= 0
                && usage.cacheReadInputTokens >= 0 && usage.webSearchRequests >= 0 && usage.webFetchRequests >= 0,
            "usage: a negative count")
    }

    /// The first line is the `traceparent`, the rest the `tracestate`.
    static func traceparent(_ data: UnsafeRawBufferPointer) {
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let context = TraceContext.parse(traceparent: parts.first, tracestate: parts.count > 1 ? parts[1] : nil) else { return }
        let again = TraceContext.parse(traceparent: context.traceparent, tracestate: context.traceState)
        precondition(
            again?.traceID == context.traceID && again?.spanID == context.spanID && again?.flags == context.flags
                && again?.traceState == context.traceState, "traceparent: formatting and parsing again changed it")
    }
}
