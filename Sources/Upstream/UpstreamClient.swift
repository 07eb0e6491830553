public import BallastCore
import CCurl
import CShims
import Dispatch
import Foundation
import HeapModule
import Synchronization

/// The upstream HTTP client: one libcurl multi handle driven by one event-loop thread.
///
/// Every transfer runs on that thread, so no easy handle is ever touched concurrently, and
/// the multi handle's connection pool is shared by all calls (keep-alive and HTTP/2
/// multiplexing). Other threads only submit, cancel or resume through a locked command
/// queue and `curl_multi_wakeup`.
public final class UpstreamClient: @unchecked Sendable {
    enum Command {
        case add(UpstreamTransfer)
        case cancel(UpstreamTransfer)
        case resume(UpstreamTransfer)
        case schedule(LoopTimer)
        case run(@Sendable () -> Void)
        case stop
    }

    public let options: UpstreamClientOptions
    let clock: any TimeSource
    private let multi: UnsafeMutableRawPointer
    private let commands = Mutex<[Command]>([])
    private let activeCount = Atomic<Int>(0)
    private let connectionsOpened = Atomic<Int>(0)
    private let started = Atomic<Bool>(false)
    private let loopExited = DispatchSemaphore(value: 0)
    /// Loop-thread only.
    private var active: [ObjectIdentifier: UpstreamTransfer] = [:]
    /// Loop-thread only: reset easy handles ready for reuse.
    private var idleHandles: [UnsafeMutableRawPointer] = []
    /// Loop-thread only: pending timers, earliest first.
    private var timers = Heap<LoopTimer>()
    private let timerSequence = Atomic<UInt64>(0)

    public init(options: UpstreamClientOptions = UpstreamClientOptions(), clock: any TimeSource = SystemClock()) {
        // Thread-safe and reference-counted in libcurl >= 7.84; the executable also calls it first.
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        self.options = options
        self.clock = clock
        multi = curl_multi_init()
        _ = ballast_curl_multi_setopt_long(multi, Int32(CURLMOPT_MAX_HOST_CONNECTIONS.rawValue), options.maxConnectionsPerHost)
        _ = ballast_curl_multi_setopt_long(multi, Int32(CURLMOPT_MAX_TOTAL_CONNECTIONS.rawValue), options.maxConnections)
        _ = ballast_curl_multi_setopt_long(multi, Int32(CURLMOPT_MAXCONNECTS.rawValue), options.maxConnections)
        _ = ballast_curl_multi_setopt_long(multi, Int32(CURLMOPT_PIPELINING.rawValue), CURLPIPE_MULTIPLEX)
    }

    deinit {
        curl_multi_cleanup(multi)
        curl_global_cleanup()
    }

    /// Starts the event-loop thread. Idempotent.
    public func start() {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread { [self] in
            LoopThread.markCurrent()
            runLoop()
            loopExited.signal()
        }
        thread.name = "ballast-upstream"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Cancels every transfer and stops the loop thread; waits for it to exit.
    public func shutdown() {
        guard started.load(ordering: .relaxed) else { return }
        post(.stop)
        loopExited.wait()
    }

    /// Starts a call. The delegate hears about it on the loop thread.
    @discardableResult
    public func submit(_ request: UpstreamRequest, delegate: any UpstreamTransferDelegate) -> UpstreamTransfer {
        let transfer = makeTransfer(request, delegate: delegate)
        begin(transfer)
        return transfer
    }

    /// Creates a call without starting it, so the caller can store the handle before any
    /// delegate callback can run (they may run on the loop thread before `submit` returns).
    public func makeTransfer(_ request: UpstreamRequest, delegate: any UpstreamTransferDelegate) -> UpstreamTransfer {
        UpstreamTransfer(request: request, delegate: delegate, client: self)
    }

    /// Starts a call made by `makeTransfer`, once.
    public func begin(_ transfer: UpstreamTransfer) {
        post(.add(transfer))
    }

    /// Runs `action` on the loop thread after `seconds` (at once for 0 or less).
    @discardableResult
    public func schedule(after seconds: Double, _ action: @escaping @Sendable () -> Void) -> LoopTimer {
        let timer = LoopTimer(
            due: clock.now().adding(seconds: seconds),
            sequence: timerSequence.wrappingAdd(1, ordering: .relaxed).newValue, action: action)
        post(.schedule(timer))
        return timer
    }

    /// Runs `action` on the loop thread as soon as possible, in order with other commands.
    public func execute(_ action: @escaping @Sendable () -> Void) {
        post(.run(action))
    }

    /// Calls in flight (submitted and not completed).
    public var activeTransfers: Int { activeCount.load(ordering: .relaxed) }

    /// Connections opened since start (pool misses); compare with calls made.
    public var connectionsOpenedTotal: Int { connectionsOpened.load(ordering: .relaxed) }

    func post(_ command: Command) {
        // One wake-up per batch: if commands were already queued, the loop has been woken
        // and has not yet taken them, so it will see this one too.
        let wasEmpty = commands.withLock { queue -> Bool in
            queue.append(command)
            return queue.count == 1
        }
        if wasEmpty { curl_multi_wakeup(multi) }
    }

    func noteActivity(_ transfer: UpstreamTransfer) {
        transfer.lastActivity = clock.now()
    }

    // MARK: Loop thread

    private func runLoop() {
        var running: Int32 = 0
        var lastScan = clock.now()
        var pending: [Command] = []
        loop: while true {
            commands.withLock { swap(&$0, &pending) }
            for command in pending {
                switch command {
                case .add(let transfer): add(transfer)
                case .cancel(let transfer): finish(transfer, error: .cancelled)
                case .resume(let transfer): unpause(transfer)
                case .schedule(let timer): timers.insert(timer)
                case .run(let action): action()
                case .stop:
                    for transfer in Array(active.values) { finish(transfer, error: .cancelled) }
                    for easy in idleHandles { curl_easy_cleanup(easy) }
                    idleHandles.removeAll()
                    break loop
                }
            }
            pending.removeAll(keepingCapacity: true)
            curl_multi_perform(multi, &running)
            collectCompletions()
            let now = clock.now()
            if now.seconds(since: lastScan) >= 0.005 {
                lastScan = now
                enforceDeadlines(now: now)
            }
            fireDueTimers(now: now)
            var curlTimeout = -1
            curl_multi_timeout(multi, &curlTimeout)
            var cap = active.isEmpty ? 1000 : 10
            if let next = timers.min {
                let untilNext = next.due.nanoseconds > now.nanoseconds ? Int((next.due.nanoseconds - now.nanoseconds + 999_999) / 1_000_000) : 0
                cap = min(cap, untilNext)
            }
            let timeout = curlTimeout < 0 ? cap : min(curlTimeout, cap)
            curl_multi_poll(multi, nil, 0, Int32(timeout), nil)
        }
        // Drop commands that arrived after stop.
        for command in commands.withLock({ list -> [Command] in
            defer { list.removeAll() }
            return list
        }) {
            if case .add(let transfer) = command {
                transfer.delegate.upstreamDidComplete(transfer.completion(error: .cancelled, now: clock.now()))
            }
        }
    }

    private func fireDueTimers(now: MonotonicInstant) {
        while let next = timers.min, next.due <= now {
            timers.removeMin()
            if !next.isCancelled { next.action() }
        }
    }

    private func add(_ transfer: UpstreamTransfer) {
        guard let easy = idleHandles.popLast() ?? curl_easy_init() else {
            transfer.finished = true
            transfer.delegate.upstreamDidComplete(
                transfer.completion(error: .transport(code: -1, message: "cannot create a libcurl handle"), now: clock.now()))
            return
        }
        transfer.prepare(easy: easy, options: options, now: clock.now())
        active[ObjectIdentifier(transfer)] = transfer
        activeCount.wrappingAdd(1, ordering: .relaxed)
        curl_multi_add_handle(multi, transfer.easy)
    }

    /// Keeps a finished easy handle for the next call: `curl_easy_init` allocates and
    /// zeroes several kilobytes, a measurable share of a proxied request's cost.
    private func recycle(_ easy: UnsafeMutableRawPointer?) {
        guard let easy else { return }
        if idleHandles.count < Self.maxIdleHandles {
            curl_easy_reset(easy)
            idleHandles.append(easy)
        } else {
            curl_easy_cleanup(easy)
        }
    }

    private static let maxIdleHandles = 256

    private func unpause(_ transfer: UpstreamTransfer) {
        guard active[ObjectIdentifier(transfer)] != nil, transfer.paused, let easy = transfer.easy else { return }
        transfer.paused = false
        transfer.lastActivity = clock.now()
        // May deliver the held-back bytes right here, through the write callback.
        curl_easy_pause(easy, CURLPAUSE_CONT)
    }

    private func collectCompletions() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var context: UnsafeMutableRawPointer?
            _ = ballast_curl_easy_getinfo_pointer(easy, Int32(CURLINFO_PRIVATE.rawValue), &context)
            guard let context else { continue }
            let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(context).takeUnretainedValue()
            finish(transfer, error: code == CURLE_OK ? nil : classify(code, transfer: transfer))
        }
    }

    private func enforceDeadlines(now: MonotonicInstant) {
        for transfer in Array(active.values) {
            let timeouts = transfer.request.timeouts
            if !transfer.headDelivered {
                if now.seconds(since: transfer.startedAt) > timeouts.firstByte {
                    finish(transfer, error: .firstByteTimeout)
                }
            } else if !transfer.paused, now.seconds(since: transfer.lastActivity) > timeouts.idle {
                finish(transfer, error: .idleTimeout)
            }
        }
    }

    private func finish(_ transfer: UpstreamTransfer, error: UpstreamError?) {
        guard !transfer.finished else { return }
        transfer.finished = true
        guard active.removeValue(forKey: ObjectIdentifier(transfer)) != nil else { return }
        activeCount.wrappingSubtract(1, ordering: .relaxed)
        if let easy = transfer.easy { curl_multi_remove_handle(multi, easy) }
        let completion = transfer.completion(error: error, now: clock.now())
        connectionsOpened.wrappingAdd(completion.connectionsOpened, ordering: .relaxed)
        recycle(transfer.detach())
        transfer.delegate.upstreamDidComplete(completion)
    }

    private func classify(_ code: CURLcode, transfer: UpstreamTransfer) -> UpstreamError {
        let message = String(cString: curl_easy_strerror(code))
        if transfer.refusedResend {
            return .connectionLost("the connection closed after the request was sent; libcurl was not let send it again")
        }
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connectFailed(message)
        case CURLE_OPERATION_TIMEDOUT:
            var connectTime = 0.0
            if let easy = transfer.easy {
                _ = ballast_curl_easy_getinfo_double(easy, Int32(CURLINFO_CONNECT_TIME.rawValue), &connectTime)
            }
            return connectTime == 0 ? .connectTimeout : .totalTimeout
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            return .connectionLost(message)
        default:
            return .transport(code: Int(code.rawValue), message: message)
        }
    }
}
