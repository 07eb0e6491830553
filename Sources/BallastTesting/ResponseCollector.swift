import BallastCore
import Synchronization
public import Upstream

/// An upstream delegate that gathers one whole response and hands it to async code:
/// the test client of Ballast's own tests, benchmarks and demo.
public final class ResponseCollector: UpstreamTransferDelegate {
    public struct Result: Sendable {
        public var head: UpstreamResponseHead?
        public var body: [UInt8]
        public var completion: UpstreamCompletion
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    private struct State {
        var head: UpstreamResponseHead?
        var body: [UInt8] = []
        var refuseNext = 0
        var offers = 0
        var continuation: CheckedContinuation<Result, Never>?
        var result: Result?
    }

    private let state = Mutex(State())

    /// Refuses the next `count` chunks, to exercise pausing.
    public init(refuseChunks count: Int = 0) {
        state.withLock { $0.refuseNext = count }
    }

    /// How many times body bytes were offered (refused ones included), and how many were kept.
    public var chunksOffered: Int { state.withLock { $0.offers } }
    public var bytesKept: Int { state.withLock { $0.body.count } }

    public func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        state.withLock { $0.head = head }
    }

    public func upstreamDidReceive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        state.withLock { s in
            s.offers += 1
            if s.refuseNext > 0 {
                s.refuseNext -= 1
                return false
            }
            s.body.append(contentsOf: bytes)
            return true
        }
    }

    public func upstreamDidComplete(_ completion: UpstreamCompletion) {
        let (continuation, result) = state.withLock { s -> (CheckedContinuation<Result, Never>?, Result) in
            let result = Result(head: s.head, body: s.body, completion: completion)
            s.result = result
            let c = s.continuation
            s.continuation = nil
            return (c, result)
        }
        continuation?.resume(returning: result)
    }

    public func result() async -> Result {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> Result? in
                if let r = s.result { return r }
                s.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
