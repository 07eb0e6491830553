import Dispatch
import Synchronization

/// The part of a `ResponseCache` both the callers and the writer thread hold. Kept apart
/// from `ResponseCache` so the writer thread does not keep the cache alive: the cache's
/// `deinit` closes it and stops the thread.
final class CacheShared: Sendable {
    let options: ResponseCacheOptions
    let state: Mutex<CacheState>
    /// Signalled when the writer should not wait for the next interval: a full batch, a
    /// flush, close.
    let wake = DispatchSemaphore(value: 0)

    init(options: ResponseCacheOptions, state: CacheState) {
        self.options = options
        self.state = Mutex(state)
    }
}
