import BallastTesting
import Foundation
import BallastSimulator

/// One load run over a simulator with a scheduled fault: the whole run, the part of it inside
/// the fault window, and where to find Ballast's audit (nil for a direct run).
struct FaultRunResult: Sendable {
    var total: LoadReport
    /// Requests started from the fault start to 1 s after its end, or in flight at its start.
    var startedInFault: Int
    /// Failures that completed between the fault start and shortly after its end.
    var failedInFault: Int
    /// Failures inside the window by status (0 = transport failure).
    var failedInFaultByStatus: [Int: Int]
    /// Wall time (Unix seconds) when the simulator started.
    var simulatorStart: Double
    /// Seconds after the simulator start when the load began.
    var loadOffset: Double
    var storePath: String?

    var faultErrorShare: Double { startedInFault == 0 ? 0 : Double(failedInFault) / Double(startedInFault) }

    var statusText: String {
        failedInFaultByStatus.isEmpty
            ? "-"
            : failedInFaultByStatus.sorted { $0.key < $1.key }
                .map { "\($0.key == 0 ? "transport" : String($0.key)): \($0.value)" }.joined(separator: ", ")
    }
}
