public import BallastCore
public import Upstream

/// Sits between a cloud region's transfer and the gateway's attempt, so that the attempt sees
/// what the Anthropic API would have sent:
/// - an error answer is held until it is complete, then handed on as the Anthropic error
///   (`CloudErrorMapping`) with that error's status;
/// - a Bedrock event stream is decoded frame by frame (`EventStreamDecoder`, CRC-checked,
///   bounded) and handed on as SSE; a malformed or truncated stream ends the attempt as a lost
///   connection (retried while nothing was relayed, else the client gets an `error` event), and
///   nothing after the bad frame reaches the client;
/// - anything else (Vertex's SSE, a plain JSON answer) passes through untouched.
///
/// Back-pressure is kept: when the attempt refuses SSE bytes (the client is slow), they are
/// held here (at most what one received chunk decoded to) and the transfer pauses; libcurl
/// offers the same chunk again on resume, which is then recognised as already decoded.
///
/// Confined to the upstream loop thread, like the attempt it wraps.
public final class CloudResponseTranslator: UpstreamTransferDelegate, @unchecked Sendable {
    public enum Service: Sendable { case bedrock, vertex }

    private enum Mode {
        case awaitingHead
        case passThrough
        case error(UpstreamResponseHead, [UInt8])
        case eventStream
        case failed(EventStreamError)
    }

    private let inner: any UpstreamTransferDelegate
    private let service: Service
    private var mode: Mode = .awaitingHead
    private var decoder: EventStreamDecoder
    /// SSE bytes the attempt refused, and how many bytes of the chunk libcurl will offer again
    /// had already been decoded into them.
    private var pending: [UInt8] = []
    private var alreadyDecoded = 0
    /// Set by the gateway once the transfer exists: a malformed stream is stopped at once.
    public var transfer: UpstreamTransfer?
    /// Told about every error answer (the gateway logs clock skew from `Signature expired`).
    private let onError: @Sendable (AnthropicError, UpstreamResponseHead) -> Void

    /// Error bodies are a few hundred bytes; more than this is cut (the mapping reads a prefix).
    static let maxErrorBytes = 64 * 1024

    public init(
        wrapping inner: any UpstreamTransferDelegate, service: Service,
        maxFrameBytes: Int = EventStreamDecoder.defaultMaxMessageBytes,
        onError: @escaping @Sendable (AnthropicError, UpstreamResponseHead) -> Void = { _, _ in }
    ) {
        self.inner = inner
        self.service = service
        decoder = EventStreamDecoder(maxMessageBytes: maxFrameBytes)
        self.onError = onError
    }

    public func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        guard (200..<300).contains(head.status) else {
            mode = .error(head, [])
            return
        }
        let type = head.headers["content-type"] ?? ""
        if service == .bedrock, type.hasPrefix("application/vnd.amazon.eventstream") {
            var translated = head
            translated.headers.set("content-type", "text/event-stream; charset=utf-8")
            mode = .eventStream
            inner.upstreamDidReceiveHead(translated)
        } else {
            mode = .passThrough
            inner.upstreamDidReceiveHead(head)
        }
    }

    public func upstreamDidReceive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch mode {
        case .passThrough:
            return inner.upstreamDidReceive(bytes)
        case .error(let head, var body):
            if body.count < Self.maxErrorBytes { body.append(contentsOf: bytes.prefix(Self.maxErrorBytes - body.count)) }
            mode = .error(head, body)
            return true
        case .eventStream:
            return relay(bytes)
        case .awaitingHead, .failed:
            return true
        }
    }

    public func upstreamDidComplete(_ completion: UpstreamCompletion) {
        transfer = nil
        var completion = completion
        switch mode {
        case .error(let head, let body) where completion.error == nil:
            let error =
                service == .bedrock
                ? CloudErrorMapping.bedrock(status: head.status, errorType: head.headers["x-amzn-errortype"], body: body)
                : CloudErrorMapping.vertex(status: head.status, body: body)
            onError(error, head)
            var translated = head
            translated.status = error.status
            translated.headers.set("content-type", "application/json")
            translated.headers.remove("content-length")
            translated.headers.remove("x-amzn-errortype")
            inner.upstreamDidReceiveHead(translated)
            let json = Array(error.jsonBody.utf8)
            _ = json.withUnsafeBytes { inner.upstreamDidReceive($0) }
        case .eventStream where completion.error == nil:
            do throws(EventStreamError) {
                try decoder.finish()
            } catch {
                completion.error = .connectionLost("Bedrock \(error)")
            }
        case .failed(let error):
            completion.error = .connectionLost("Bedrock \(error)")
        default:
            break
        }
        inner.upstreamDidComplete(completion)
    }

    private func relay(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var fresh = bytes
        if !pending.isEmpty {
            let accepted = pending.withUnsafeBytes { inner.upstreamDidReceive($0) }
            guard accepted else { return false }
            pending = []
            // libcurl offers the chunk it paused on again; the decoded part is not decoded twice.
            let skip = min(alreadyDecoded, bytes.count)
            alreadyDecoded = 0
            fresh = UnsafeRawBufferPointer(rebasing: bytes[skip...])
            if fresh.isEmpty { return true }
        }
        var sse: [UInt8] = []
        do throws(EventStreamError) {
            for message in try decoder.feed(fresh) {
                sse += BedrockStreamRelay.sse(BedrockStreamRelay.relay(message))
            }
        } catch {
            // What the bad chunk completed before the bad frame was checked and is relayed
            // never: a chunk is judged whole, and the attempt ends as a lost connection.
            mode = .failed(error)
            transfer?.cancel()
            return true
        }
        guard !sse.isEmpty else { return true }
        let accepted = sse.withUnsafeBytes { inner.upstreamDidReceive($0) }
        if !accepted {
            pending = sse
            alreadyDecoded = bytes.count
        }
        return accepted
    }
}
