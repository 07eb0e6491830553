import BallastCore
import BallastTesting
import Foundation
import Gateway
import HTTPServer
import Synchronization
import Testing
import Upstream

/// A region at its concurrency limit sends the excess to a region with free slots instead of
/// making it wait in line.
@Suite(.serialized) struct ConcurrencySpillTests {
    @Test func requestsOverThePrimarysLimitGoToTheStandby() async throws {
        let counts = RegionCounts()
        func slowUpstream(_ name: String) throws -> HTTPServer {
            try startUpstream { _, responder in
                counts.value.withLock { $0[name, default: 0] += 1 }
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) {
                    responder.respond(.json(200, #"{"id":"msg_1","type":"message","region":"\#(name)"}"#))
                }
            }
        }
        let primary = try slowUpstream("primary")
        defer { primary.stop() }
        let secondary = try slowUpstream("secondary")
        defer { secondary.stop() }
        let harness = try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: ":memory:" }
                rules: { paths: [] }
                upstream:
                  auth: { mode: passthrough }
                  hedge: { enabled: false }
                  concurrency: { initial: 4, min: 4, max: 4 }
                  regions:
                    - { name: primary, base_url: "http://\(primary.address)", weight: 100 }
                    - { name: secondary, base_url: "http://\(secondary.address)", weight: 0 }
                """)
        defer { harness.stop() }
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await harness.post(
                        body: #"{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#,
                        headers: ["content-type": "application/json", "x-api-key": "k"]
                    ).head?.status ?? 0
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        let served = counts.value.withLock { $0 }
        #expect(
            served["primary", default: 0] == 4 && served["secondary", default: 0] == 4,
            "four wait in line at the primary otherwise: \(served)")
    }
}
