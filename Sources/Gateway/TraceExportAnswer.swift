import BallastCore
import Upstream

/// Receives the collector's answer to one OTLP export on the libcurl loop: a 2xx status is
/// success; anything else (an error status, a refused connection, a timeout) loses the batch.
/// The body (an `ExportTraceServiceResponse`, at most a partial-success note) is not read.
final class TraceExportAnswer: UpstreamTransferDelegate, @unchecked Sendable {
    private var status = 0
    private let done: @Sendable (Bool) -> Void

    init(done: @escaping @Sendable (Bool) -> Void) {
        self.done = done
    }

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) { status = head.status }
    func upstreamDidReceive(_ bytes: UnsafeRawBufferPointer) -> Bool { true }
    func upstreamDidComplete(_ completion: UpstreamCompletion) {
        done(completion.error == nil && (200..<300).contains(status))
    }
}
