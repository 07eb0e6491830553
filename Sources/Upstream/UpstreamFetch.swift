import BallastCore

/// One whole response, for callers that want a document rather than a stream: the operator
/// commands asking the control API, exporters posting a batch.
public struct UpstreamFetchResult: Sendable {
    /// Nil when no response head arrived (refused, timed out, reset).
    public var head: UpstreamResponseHead?
    public var body: [UInt8]
    /// The body went past the cap; `body` holds its first `maxBodyBytes` bytes.
    public var truncated: Bool
    public var completion: UpstreamCompletion
    public var text: String { String(decoding: body, as: UTF8.self) }
}

extension UpstreamClient {
    /// Sends `request` and returns the whole response once it has ended. The body kept is
    /// capped (the rest is read and dropped, so the connection stays reusable).
    public func fetch(_ request: UpstreamRequest, maxBodyBytes: Int = 16 << 20) async -> UpstreamFetchResult {
        await withCheckedContinuation { continuation in
            fetch(request, maxBodyBytes: maxBodyBytes) { continuation.resume(returning: $0) }
        }
    }

    /// The same, calling `completion` once, on the loop thread, when the response has ended:
    /// for token endpoints and exporters that answer from there.
    public func fetch(
        _ request: UpstreamRequest, maxBodyBytes: Int = 16 << 20,
        _ completion: @escaping @Sendable (UpstreamFetchResult) -> Void
    ) {
        submit(request, delegate: FetchDelegate(maxBodyBytes: maxBodyBytes, completion))
    }
}

/// Gathers one response for `fetch`. Called on the client's loop thread only.
private final class FetchDelegate: UpstreamTransferDelegate, @unchecked Sendable {
    private let maxBodyBytes: Int
    private let completion: @Sendable (UpstreamFetchResult) -> Void
    private var head: UpstreamResponseHead?
    private var body: [UInt8] = []
    private var truncated = false

    init(maxBodyBytes: Int, _ completion: @escaping @Sendable (UpstreamFetchResult) -> Void) {
        self.maxBodyBytes = maxBodyBytes
        self.completion = completion
    }

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        LoopThread.preconditionOnLoop()
        self.head = head
    }

    func upstreamDidReceive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        LoopThread.preconditionOnLoop()
        let room = maxBodyBytes - body.count
        if bytes.count > room { truncated = true }
        body.append(contentsOf: bytes.prefix(max(0, room)))
        return true
    }

    func upstreamDidComplete(_ completion: UpstreamCompletion) {
        LoopThread.preconditionOnLoop()
        self.completion(UpstreamFetchResult(head: head, body: body, truncated: truncated, completion: completion))
    }
}
