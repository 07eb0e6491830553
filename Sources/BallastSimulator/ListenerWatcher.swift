import Dispatch
import Foundation

/// The thread that makes each region's listener follow `refuse_connections` as schedule
/// entries begin and end or `PUT /_sim/faults` changes it.
///
/// It polls in real time (every `interval` seconds) while the schedule reads the
/// simulator's clock: a `ManualClock` never moves by itself, so a test advances it and the
/// next poll acts. Polling keeps the clock a plain value with no timers to wake. `PUT
/// /_sim/faults` arrives on a server thread, which must not stop its own server, so the
/// watcher applies that change too.
final class ListenerWatcher: Sendable {
    private let stopRequested = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    /// Starts the thread at once.
    init(regions: [SimulatedRegion], interval: Double = 0.02) {
        let stopRequested = stopRequested
        let exited = exited
        let thread = Thread {
            while stopRequested.wait(timeout: .now() + interval) == .timedOut {
                for region in regions { region.syncListener() }
            }
            exited.signal()
        }
        thread.name = "ballast-sim-listeners"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops the thread and waits for it to exit (at most one poll's work).
    func stop() {
        stopRequested.signal()
        exited.wait()
    }
}
