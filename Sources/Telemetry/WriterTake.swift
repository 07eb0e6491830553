import Dispatch

/// What the writer thread takes from the queue in one go, besides the records themselves.
struct WriterTake {
    var flushWaiters: [DispatchSemaphore]
    var retentionWaiters: [DispatchSemaphore]
    var closed: Bool
}
