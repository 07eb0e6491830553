public import BallastCore
import Synchronization

/// The store's health, shared by every connection that writes (the telemetry writer's
/// batches, the operator's state writes). See `StoreHealthState` for the rule.
public final class StoreHealth: Sendable {
    private let clock: any TimeSource
    private let state: Mutex<StoreHealthState>

    public init(clock: any TimeSource, window: Duration = StoreHealthState.defaultWindow) {
        self.clock = clock
        state = Mutex(StoreHealthState(window: window))
    }

    public func succeeded() {
        let now = clock.now()
        state.withLock { $0.succeeded(at: now) }
    }

    public func failed(_ error: any Error) {
        failed(StoreFailureReason(error), message: "\(error)")
    }

    public func failed(_ reason: StoreFailureReason, message: String) {
        let now = clock.now()
        let wall = clock.wallTime()
        state.withLock { $0.failed(reason, message: message, at: now, wall: wall) }
    }

    public var report: StoreHealthReport {
        let now = clock.now()
        return state.withLock { $0.report(at: now) }
    }
}
