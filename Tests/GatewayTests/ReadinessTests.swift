import BallastCore
import BallastTesting
import Foundation
@testable import Gateway
import Testing
@testable import ControlPlane
@testable import RulesRuntime
import HTTPServer
import Upstream

@Suite struct ReadinessDecisionTests {
    typealias View = Readiness.RegionView

    @Test func everyReasonInOrder() {
        let up = [View(name: "a", circuitOpen: false, drained: false), View(name: "b", circuitOpen: true, drained: false)]
        #expect(Readiness.decide(shuttingDown: false, storeHealthy: true, regions: up) == Readiness(ready: true, status: "ready"))
        #expect(Readiness.decide(shuttingDown: true, storeHealthy: true, regions: up).status == "shutting_down")
        #expect(Readiness.decide(shuttingDown: false, storeHealthy: false, regions: up).status == "degraded")
        let down = [View(name: "a", circuitOpen: false, drained: true), View(name: "b", circuitOpen: true, drained: false)]
        #expect(Readiness.decide(shuttingDown: false, storeHealthy: true, regions: down) == Readiness(ready: false, status: "no_region"))
        // Stopping outranks the rest: it is the one a probe must see at once.
        #expect(Readiness.decide(shuttingDown: true, storeHealthy: false, regions: down).status == "shutting_down")
    }
}

/// `/livez`, `/readyz` and the probe listener on a real Ballast.
@Suite(.serialized) struct ProbeEndpointTests {
    @Test func probeListenerServesProbesAndMetricsOnly() async throws {
        let upstream = try startUpstream { _, responder in
            responder.respond(.json(200, #"{"id":"msg_1","usage":{"input_tokens":3,"output_tokens":5}}"#))
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0, probe_listen: 127.0.0.1:0, token_env: TEST_ADMIN_TOKEN }
                store: { path: ":memory:" }
                rules: { paths: [] }
                upstream:
                  auth: { mode: passthrough }
                  regions:
                    - { name: primary, base_url: "http://\(upstream.address)" }
                """, environment: ["TEST_ADMIN_TOKEN": "admin-token-for-tests"])
        defer { harness.stop() }
        let probe = try #require(harness.gateway.probeAddress)
        let token: HTTPHeaders = ["authorization": "Bearer admin-token-for-tests"]
        for base in [probe, harness.gateway.adminAddress] {
            #expect(await harness.get("http://\(base)/livez").head?.status == 200)
            let ready = await harness.get("http://\(base)/readyz")
            #expect(ready.head?.status == 200, "\(ready.text)")
            #expect(ready.text.contains(#""status":"ready""#))
            #expect(await harness.get("http://\(base)/metrics").text.contains("ballast_build_info"))
        }
        // The control API and the status page are on the admin listener only.
        #expect(await harness.get("http://\(harness.gateway.adminAddress)/control/v1/status", headers: token).head?.status == 200)
        #expect(await harness.get("http://\(probe)/control/v1/status", headers: token).head?.status == 404)
        #expect(await harness.get("http://\(probe)/", headers: token).head?.status == 404)

        // SIGTERM's first step: not ready on both listeners, alive, and still serving.
        harness.gateway.announceShutdown(listenerClosesIn: 5)
        for base in [probe, harness.gateway.adminAddress] {
            let ready = await harness.get("http://\(base)/readyz")
            #expect(ready.head?.status == 503)
            #expect(ready.text.contains(#""status":"shutting_down""#), "\(ready.text)")
            #expect(await harness.get("http://\(base)/livez").head?.status == 200)
        }
        let served = await harness.post(
            body: #"{"model":"claude-sonnet-4-6","max_tokens":5,"messages":[]}"#,
            headers: ["content-type": "application/json", "x-api-key": "k"])
        #expect(served.head?.status == 200, "the proxy keeps serving during the delay")
    }

    /// The rules never open the last region's circuit (the panic threshold), but an operator
    /// may hold it open while the rules hold the other: then nothing can be served, and the
    /// instance says so.
    @Test func notReadyWhileNoRegionCanTakeARequest() async throws {
        let control = try ControlHarness(rules: SharedDecisionAdoptionTests.rules)
        defer { control.stop() }
        let rules = control.gateway.rules
        func circuit(_ region: String) -> SharedCircuitDecision {
            SharedCircuitDecision(
                target: "region=\(region)", phase: .open, until: control.clock.wallTime() + 600,
                trips: 1, mode: "reroute", group: "failover", rule: "region-down", instance: "peer-1",
                reason: "rule:region-down: 3 connection failures")
        }
        #expect((await control.call("GET", "/readyz", token: nil)).status == 200)
        #expect(rules.adopt(circuit("primary")))
        #expect((await control.call("GET", "/readyz", token: nil)).status == 200, "one region is enough")
        #expect(!rules.adopt(circuit("secondary")), "the panic threshold keeps the last region")
        #expect((await control.call("GET", "/readyz", token: nil)).status == 200)
        let held = await control.call("POST", "/control/v1/circuits/region=secondary/open", body: #"{"reason":"test"}"#)
        #expect(held.status == 200, "\(held.text)")
        let ready = await control.call("GET", "/readyz", token: nil)
        #expect(ready.status == 503)
        #expect(ready.json["status"] as? String == "no_region", "\(ready.text)")
        #expect((await control.call("GET", "/livez", token: nil)).status == 200, "unready is not dead")
        let reset = await control.call("POST", "/control/v1/circuits/region=secondary/reset", body: #"{"reason":"test"}"#)
        #expect(reset.status == 200, "\(reset.text)")
        #expect((await control.call("GET", "/readyz", token: nil)).status == 200)
    }
}
