import BallastCore
import BallastTesting
import Foundation
@testable import BallastSimulator

extension GatewayHarness {
    /// The repository's shipped rule files (`rules/*.yaml`).
    static var shippedRules: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("rules/*.yaml").path
    }

    /// Ballast with the shipped rules in front of a two-region simulator: its first region as
    /// the primary (weight 100), its second as a standby; the store at `database`. `upstream`
    /// adds keys to the `upstream` section (indented as its other keys).
    init(
        shippedRulesFor simulator: Simulator, database: String, upstream extra: [String] = [],
        clock: any TimeSource = SystemClock()
    ) throws {
        let lines = (["auth: { mode: passthrough }"] + extra).map { "  " + $0 }.joined(separator: "\n")
        try self.init(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: "\(database)" }
                rules: { paths: ["\(Self.shippedRules)"] }
                upstream:
                \(lines)
                  regions:
                    - { name: primary, base_url: "\(simulator.regions[0].baseURL)", weight: 100 }
                    - { name: secondary, base_url: "\(simulator.regions[1].baseURL)", weight: 0 }
                """, clock: clock)
    }
}
