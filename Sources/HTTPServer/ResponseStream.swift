import BallastCore
import Synchronization

/// A bounded byte queue between a producer (an upstream transfer, a simulator) and the
/// server thread that writes a streaming response to the client.
///
/// Memory stays bounded: `write` refuses data once `capacity` bytes are queued and the
/// producer must pause until the drain handler fires. When the client goes away the
/// cancel handler fires, so the producer can abort its own work.
public final class ResponseStream: Sendable {
    public enum WriteResult: Sendable, Equatable {
        /// The bytes were queued.
        case accepted
        /// The queue is full; nothing was queued. Retry after the drain handler fires.
        case full
        /// The stream is finished or the client is gone; the bytes were dropped.
        case closed
    }

    enum ReadResult {
        case bytes(Int)
        case wouldBlock
        case end
        case failed
    }

    struct State {
        var chunks: [[UInt8]] = []
        var head = 0  // index of the first unread chunk
        var offset = 0  // read offset inside chunks[head]
        var buffered = 0
        var finished = false
        var failed = false
        var cancelled = false
        var producerWaiting = false
        var readerWaiting = false
        var drainHandler: (@Sendable () -> Void)?
        var cancelHandler: (@Sendable () -> Void)?
        var wakeReader: (@Sendable () -> Void)?
    }

    public let capacity: Int
    private let state = Mutex(State())

    /// - Parameter capacity: bytes queued before `write` answers `.full`.
    public init(capacity: Int = 256 * 1024) {
        self.capacity = max(1, capacity)
    }

    /// Called (from the server thread) once the queue has drained to half its capacity after
    /// a `.full`. Set it before writing.
    public func onDrain(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.drainHandler = handler }
    }

    /// Called once when the client disconnects or the server aborts the response.
    /// Runs at once if that has already happened.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let already = state.withLock { s -> Bool in
            if s.cancelled { return true }
            s.cancelHandler = handler
            return false
        }
        if already { handler() }
    }

    /// The number of bytes waiting to be sent.
    public var bufferedBytes: Int { state.withLock { $0.buffered } }

    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    @discardableResult
    public func write(_ bytes: UnsafeRawBufferPointer) -> WriteResult {
        guard !bytes.isEmpty else { return .accepted }
        return enqueue { Array(bytes.bindMemory(to: UInt8.self)) }
    }

    @discardableResult
    public func write(_ bytes: [UInt8]) -> WriteResult {
        guard !bytes.isEmpty else { return .accepted }
        return enqueue { bytes }
    }

    @discardableResult
    public func write(_ text: String) -> WriteResult {
        write(Array(text.utf8))
    }

    /// Ends the response normally after the queued bytes are sent.
    public func finish() {
        let wake = state.withLock { s -> (@Sendable () -> Void)? in
            guard !s.finished, !s.cancelled else { return nil }
            s.finished = true
            return s.takeReaderWake()
        }
        wake?()
    }

    /// Ends the response abruptly: the client sees a truncated chunked body.
    public func fail() {
        let wake = state.withLock { s -> (@Sendable () -> Void)? in
            guard !s.finished, !s.cancelled else { return nil }
            s.finished = true
            s.failed = true
            return s.takeReaderWake()
        }
        wake?()
    }

    private func enqueue(_ makeBytes: () -> [UInt8]) -> WriteResult {
        let (result, wake) = state.withLock { s -> (WriteResult, (@Sendable () -> Void)?) in
            if s.cancelled || s.finished { return (.closed, nil) }
            if s.buffered >= capacity {
                s.producerWaiting = true
                return (.full, nil)
            }
            let bytes = makeBytes()
            s.chunks.append(bytes)
            s.buffered += bytes.count
            return (.accepted, s.takeReaderWake())
        }
        wake?()
        return result
    }

    // MARK: - Server side

    /// Installs the closure that resumes the suspended connection when data arrives.
    func attachReader(wake: @escaping @Sendable () -> Void) {
        state.withLock { $0.wakeReader = wake }
    }

    /// Copies up to `max` bytes into `buffer`. On `.wouldBlock` the reader is marked waiting
    /// and must suspend its connection before releasing the connection lock.
    func read(into buffer: UnsafeMutableRawPointer, max: Int) -> ReadResult {
        var drain: (@Sendable () -> Void)?
        let result = state.withLock { s -> ReadResult in
            if s.cancelled { return .failed }
            if s.buffered == 0 {
                if s.finished {
                    s.wakeReader = nil
                    return s.failed ? .failed : .end
                }
                s.readerWaiting = true
                return .wouldBlock
            }
            var copied = 0
            while copied < max, s.head < s.chunks.count {
                let chunk = s.chunks[s.head]
                let n = min(max - copied, chunk.count - s.offset)
                chunk.withUnsafeBytes { raw in
                    (buffer + copied).copyMemory(from: raw.baseAddress! + s.offset, byteCount: n)
                }
                copied += n
                s.offset += n
                if s.offset == chunk.count {
                    s.chunks[s.head] = []
                    s.head += 1
                    s.offset = 0
                }
            }
            if s.head > 64, s.head * 2 > s.chunks.count {
                s.chunks.removeFirst(s.head)
                s.head = 0
            }
            s.buffered -= copied
            if s.producerWaiting, s.buffered <= capacity / 2 {
                s.producerWaiting = false
                drain = s.drainHandler
            }
            return .bytes(copied)
        }
        drain?()
        return result
    }

    /// The client is gone or the server is stopping: drop the data and tell the producer.
    func cancel() {
        let handler = state.withLock { s -> (@Sendable () -> Void)? in
            guard !s.cancelled else { return nil }
            s.cancelled = true
            s.chunks = []
            s.head = 0
            s.offset = 0
            s.buffered = 0
            s.wakeReader = nil
            let handler = s.cancelHandler
            s.cancelHandler = nil
            s.drainHandler = nil
            return handler
        }
        handler?()
    }
}

extension ResponseStream.State {
    mutating func takeReaderWake() -> (@Sendable () -> Void)? {
        guard readerWaiting else { return nil }
        readerWaiting = false
        return wakeReader
    }
}
