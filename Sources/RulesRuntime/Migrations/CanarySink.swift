package import BallastCore
import Rules

/// Feeds the attempts of requests that matched a canary into `CanaryWindows`.
package struct CanarySink: OutcomeSink {
    let windows: CanaryWindows

    package func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?) {
        guard let canary = request.canary, let sideText = request.canarySide, let side = CanaryTag.Side(rawValue: sideText) else { return }
        windows.record(CanaryTag(canary: canary, side: side), attempts: attempts)
    }

    package init(windows: CanaryWindows) {
        self.windows = windows
    }
}
