import BallastCore
import Cache
import HTTPServer
import Resilience
import Upstream

/// One upstream attempt of a `ProxiedCall`: a first try, a retry or a hedge.
///
/// Confined to the upstream loop thread like its call: the transfer's callbacks arrive
/// there, and the call's timers fire there, so no lock guards this state.
final class Attempt: UpstreamTransferDelegate, @unchecked Sendable {
    enum Mode {
        /// Waiting for the response head.
        case awaitingHead
        /// Collecting a whole body: errors (to classify and maybe relay) and small answers.
        case buffering
        /// An SSE stream held back until its first content event, so an early `error`
        /// event can still be retried without the client seeing anything.
        case holding
        /// Committed: relaying to the client.
        case streaming(ResponseStream)
        case finished
    }

    /// Strong while the transfer runs: the call has no other owner then. Dropped when the
    /// transfer completes, which breaks the call <-> attempt cycle.
    private var call: ProxiedCall?
    let region: Region
    /// 1-based, in launch order.
    let index: Int
    let isHedge: Bool
    /// The hedging key (region and model).
    let key: String
    /// What pacing charged this attempt, and under which key (limit group and model).
    let charge: PacingCharge
    /// True once pacing has learned from this attempt's answer.
    var pacingRecorded = false
    /// The headers sent, credentials included (to tell which token a 401 rejected).
    let sentHeaders: HTTPHeaders
    /// The concurrency permit, reported exactly once when the attempt ends.
    var permit: ConcurrencyLimit.Permit?
    let startedAt: MonotonicInstant
    var transfer: UpstreamTransfer?
    var mode: Mode = .awaitingHead
    var head: UpstreamResponseHead?
    var headAt: MonotonicInstant?
    var body: [UInt8] = []
    var isEventStream = false
    var scanner = SSEScanner()
    /// Bytes at the head of the next delivery the scanner has already read: the relay refused
    /// them (`.full`) and libcurl offers them again when the transfer resumes.
    var scannedAhead = 0
    /// Bytes of an event stream received since a chunk last completed an event.
    var bytesSinceEvent = 0
    /// The answer claimed to be an event stream and was not; the client got an `error` event.
    var notSSE = false
    var usage = MessageUsage.unknown
    /// Rebuilds a streamed answer as one Message, when it is to be cached.
    var assembler: MessageAssembler?
    var bytesRelayed = 0
    var failure: Failure?
    var cancelledByBallast = false
    var finishedAt: MonotonicInstant?
    /// The attempt's span id (its `traceparent` upstream); empty when tracing is off.
    var spanID: [UInt8] = []
    /// Sent to a region whose circuit was open: a probe.
    var probe = false
    /// Counted as a failure of its region when its first byte became overdue.
    var countedEarly = false

    init(
        call: ProxiedCall, region: Region, index: Int, isHedge: Bool, key: String, charge: PacingCharge,
        sentHeaders: HTTPHeaders, permit: ConcurrencyLimit.Permit?, startedAt: MonotonicInstant
    ) {
        self.charge = charge
        self.call = call
        self.region = region
        self.index = index
        self.isHedge = isHedge
        self.key = key
        self.sentHeaders = sentHeaders
        self.permit = permit
        self.startedAt = startedAt
    }

    var isLive: Bool {
        if case .finished = mode { return false }
        return true
    }

    /// Stops the transfer because another attempt won or the client left.
    func abandon() {
        LoopThread.preconditionOnLoop()
        guard isLive else { return }
        cancelledByBallast = true
        transfer?.cancel()
    }

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        call?.attempt(self, didReceiveHead: head)
    }

    func upstreamDidReceive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        call?.attempt(self, didReceive: bytes) ?? true
    }

    func upstreamDidComplete(_ completion: UpstreamCompletion) {
        let owner = call
        call = nil
        owner?.attempt(self, didComplete: completion)
    }
}
