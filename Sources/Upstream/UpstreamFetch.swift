import BallastCore
import Synchronization

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
        let delegate = FetchDelegate(maxBodyBytes: maxBodyBytes)
        submit(request, delegate: delegate)
        return await delegate.result()
    }
}

/// Gathers one response for `fetch`. Called on the client's loop thread; `result()` from any.
private final class FetchDelegate: UpstreamTransferDelegate {
    private struct State {
        var head: UpstreamResponseHead?
        var body: [UInt8] = []
        var truncated = false
        var result: UpstreamFetchResult?
        var waiter: CheckedContinuation<UpstreamFetchResult, Never>?
    }

    private let maxBodyBytes: Int
    private let state = Mutex(State())

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        state.withLock { $0.head = head }
    }

    func upstreamDidReceive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        state.withLock { s in
            let room = maxBodyBytes - s.body.count
            if bytes.count > room { s.truncated = true }
            s.body.append(contentsOf: bytes.prefix(max(0, room)))
        }
        return true
    }

    func upstreamDidComplete(_ completion: UpstreamCompletion) {
        let (waiter, result) = state.withLock { s -> (CheckedContinuation<UpstreamFetchResult, Never>?, UpstreamFetchResult) in
            let result = UpstreamFetchResult(head: s.head, body: s.body, truncated: s.truncated, completion: completion)
            s.result = result
            defer { s.waiter = nil }
            return (s.waiter, result)
        }
        waiter?.resume(returning: result)
    }

    func result() async -> UpstreamFetchResult {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> UpstreamFetchResult? in
                if let done = s.result { return done }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
