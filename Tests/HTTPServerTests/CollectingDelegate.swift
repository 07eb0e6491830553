import Synchronization
import Upstream

/// Gathers one upstream call's status, body and completion for async test code. A trimmed
/// `ResponseCollector`: this test target depends on `HTTPServer` and `Upstream` only.
final class CollectingDelegate: UpstreamTransferDelegate {
    struct Result: Sendable {
        var status: Int?
        var text: String
        var error: UpstreamError?
    }

    private struct State {
        var status: Int?
        var body: [UInt8] = []
        var result: Result?
        var continuation: CheckedContinuation<Result, Never>?
    }

    private let state = Mutex(State())

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        state.withLock { $0.status = head.status }
    }

    func upstreamDidReceive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        state.withLock { $0.body.append(contentsOf: bytes) }
        return true
    }

    func upstreamDidComplete(_ completion: UpstreamCompletion) {
        let (continuation, result) = state.withLock { s -> (CheckedContinuation<Result, Never>?, Result) in
            let result = Result(status: s.status, text: String(decoding: s.body, as: UTF8.self), error: completion.error)
            s.result = result
            defer { s.continuation = nil }
            return (s.continuation, result)
        }
        continuation?.resume(returning: result)
    }

    func result() async -> Result {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> Result? in
                if let result = s.result { return result }
                s.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
