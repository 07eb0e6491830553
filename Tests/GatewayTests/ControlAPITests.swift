import BallastCore
import BallastTesting
import Foundation
@testable import Gateway
import Testing
import Upstream
@testable import ControlPlane
import Synchronization
@testable import Crypto

/// The control API end to end: a real Ballast with two real upstreams, called over HTTP.
@Suite(.serialized) struct ControlAPITests {
    @Test func everyRouteNeedsTheToken() async throws {
        let control = try ControlHarness()
        defer { control.stop() }
        let missing = await control.call("GET", "/control/v1/status", token: nil)
        #expect(missing.status == 401)
        #expect(missing.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(missing.errorMessage.contains("bearer token"))
        let wrong = await control.call("GET", "/control/v1/status", token: "test-admin-token-1235")
        #expect(wrong.status == 401)
        #expect(!wrong.text.contains(ControlHarness.token))
        let write = await control.call("POST", "/control/v1/regions/primary/drain", body: #"{"reason":"x"}"#, token: "nope")
        #expect(write.status == 401)
        let right = await control.call("GET", "/control/v1/status")
        #expect(right.status == 200)
        #expect((right.json["regions"] as? [[String: Any]])?.count == 2)
        // Health and metrics stay open for probes and Prometheus.
        #expect(await control.call("GET", "/healthz", token: nil).status == 200)
        #expect(await control.call("GET", "/metrics", token: nil).status == 200)
    }

    @Test func withoutAConfiguredTokenTheAPIIsClosed() throws {
        let auth = ControlAuth(token: nil, pageIsOpen: false, tokenSource: "BALLAST_ADMIN_TOKEN")
        #expect(!auth.authorisesAPI(["authorization": "Bearer "]))
        #expect(!auth.accepts(token: ""))
        #expect(auth.refusal.message.contains("BALLAST_ADMIN_TOKEN"))
        let configured = ControlAuth(token: "secret", pageIsOpen: false, tokenSource: "T")
        #expect(configured.authorisesAPI(["authorization": "Bearer secret"]))
        #expect(configured.authorisesAPI(["authorization": "bearer  secret"]))
        #expect(!configured.authorisesAPI(["authorization": "Basic secret"]))
        #expect(!configured.authorisesAPI(["authorization": "Bearer secre"]))
        #expect(!configured.authorisesPage(["cookie": "ballast_session=secret"]), "the cookie holds a digest, not the token")
        #expect(configured.authorisesPage(["cookie": "a=b; ballast_session=\(configured.sessionValue ?? "")"]))
        #expect(Digest.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Digest.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(!Digest.constantTimeEqual([1, 2, 3], [1, 2, 4]))
    }

    @Test func aDrainTakesEffectOnTheNextRequestAndIsAudited() async throws {
        let control = try ControlHarness()
        defer { control.stop() }
        let before = await control.send(10)
        #expect(before["primary", default: 0] == 5 && before["secondary", default: 0] == 5, "\(before)")

        let drained = await control.call(
            "POST", "/control/v1/regions/primary/drain",
            body: #"{"reason":"provider maintenance","ttl":"10m","operator":"alice"}"#)
        #expect(drained.status == 200, "\(drained.text)")
        let region = drained.json["region"] as? [String: Any]
        #expect(region?["state"] as? String == "drained")
        #expect(region?["weight"] as? Int == 0)
        let during = await control.send(20)
        #expect(during["primary", default: 0] == 0, "a request reached the drained region: \(during)")
        #expect(during["secondary", default: 0] == 20)
        #expect(
            try control.auditRows(
                "kind = 'operator_override' AND target = 'region=primary' AND action = 'drain' "
                    + "AND actor = 'operator:alice' AND reason LIKE 'provider maintenance%'") == 1)
        let overrides = await control.call("GET", "/control/v1/overrides")
        let first = (overrides.json["overrides"] as? [[String: Any]])?.first
        #expect(first?["action"] as? String == "drain")
        #expect((first?["expires_in_seconds"] as? Double ?? 0) > 590)

        let restored = await control.call("POST", "/control/v1/regions/primary/restore", body: #"{"reason":"maintenance over"}"#)
        #expect(restored.status == 200, "\(restored.text)")
        let after = await control.send(10)
        #expect(after["primary", default: 0] == 5, "\(after)")
    }

    @Test func aPinnedWeightSteersTraffic() async throws {
        let control = try ControlHarness()
        defer { control.stop() }
        let reply = await control.call("PUT", "/control/v1/regions/secondary/weight", body: #"{"weight":3,"reason":"more to the new DC"}"#)
        #expect(reply.status == 200, "\(reply.text)")
        let counts = await control.send(20)
        #expect(counts["secondary", default: 0] == 15 && counts["primary", default: 0] == 5, "\(counts)")
    }

    @Test func badRequestsGetClearErrors() async throws {
        let control = try ControlHarness()
        defer { control.stop() }
        let noReason = await control.call("POST", "/control/v1/regions/primary/drain", body: #"{"ttl":"5m"}"#)
        #expect(noReason.status == 400 && noReason.errorMessage.contains("'reason' is required"), "\(noReason.text)")
        let nul = await control.call("POST", "/control/v1/regions/primary/drain", body: #"{"reason":"a\u0000<b>"}"#)
        #expect(nul.status == 400 && nul.errorMessage.contains("control characters"), "\(nul.text)")
        let long = await control.call(
            "POST", "/control/v1/regions/primary/drain",
            body: #"{"reason":"\#(String(repeating: "é", count: 257))"}"#)
        #expect(long.status == 400 && long.errorMessage.contains("514 bytes, longer than the limit of 512"), "\(long.text)")
        let badName = await control.call("POST", "/control/v1/regions/primary/drain", body: #"{"reason":"x","operator":"a\nb"}"#)
        #expect(badName.status == 400, "\(badName.text)")
        let unknown = await control.call("POST", "/control/v1/regions/nowhere/drain", body: #"{"reason":"x"}"#)
        #expect(unknown.status == 404 && unknown.errorMessage.contains("primary, secondary"), "\(unknown.text)")
        let badJSON = await control.call("POST", "/control/v1/regions/primary/drain", body: #"{"reason": "#)
        #expect(badJSON.status == 400 && badJSON.errorMessage.contains("not valid JSON"), "\(badJSON.text)")
        let badTTL = await control.call("POST", "/control/v1/regions/primary/drain", body: #"{"reason":"x","ttl":"soon"}"#)
        #expect(badTTL.status == 400 && badTTL.errorMessage.contains("not a duration"), "\(badTTL.text)")
        let typo = await control.call("POST", "/control/v1/regions/primary/drain", body: #"{"reason":"x","tll":"5m"}"#)
        #expect(typo.status == 400 && typo.errorMessage.contains("unknown field 'tll'"), "\(typo.text)")
        let badLevel = await control.call("PUT", "/control/v1/degradation", body: #"{"level":99,"reason":"x"}"#)
        #expect(badLevel.status == 400 && badLevel.errorMessage.contains("between 0 and"), "\(badLevel.text)")
        let boolLevel = await control.call("PUT", "/control/v1/degradation", body: #"{"level":true,"reason":"x"}"#)
        #expect(boolLevel.status == 400, "\(boolLevel.text)")
        let badCircuit = await control.call("POST", "/control/v1/circuits/primary/open", body: #"{"reason":"x"}"#)
        #expect(badCircuit.status == 400 && badCircuit.errorMessage.contains("region=NAME"), "\(badCircuit.text)")
        let wrongMethod = await control.call("GET", "/control/v1/regions/primary/drain")
        #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "POST", "\(wrongMethod.text)")
        let noRoute = await control.call("GET", "/control/v1/nothing")
        #expect(noRoute.status == 404)
        let badLimit = await control.call("GET", "/control/v1/actions?limit=0")
        #expect(badLimit.status == 400)

        #expect(await control.call("POST", "/control/v1/regions/primary/drain", body: #"{"reason":"x"}"#).status == 200)
        let last = await control.call("POST", "/control/v1/regions/secondary/drain", body: #"{"reason":"x"}"#)
        #expect(last.status == 409 && last.errorMessage.contains("no region"), "draining every region must be refused: \(last.text)")
        #expect(try control.auditRows("kind = 'operator_override'") == 1, "refused writes are not audited as done")
    }

    @Test func anExpiredOverrideHandsControlBackToTheRules() async throws {
        let clock = ManualClock()
        let control = try ControlHarness(clock: clock)
        defer { control.stop() }
        #expect(await control.call("POST", "/control/v1/regions/primary/drain", body: #"{"reason":"short test","ttl":"2m"}"#).status == 200)
        #expect(await control.send(6)["primary", default: 0] == 0)
        clock.advance(seconds: 119)
        control.gateway.evaluateRules()
        #expect(await control.send(6)["primary", default: 0] == 0, "the drain holds until its ttl")
        clock.advance(seconds: 2)
        control.gateway.evaluateRules()
        #expect(await control.send(6)["primary", default: 0] == 3, "the expired drain must hand back to the rules")
        #expect(try control.auditRows("kind = 'operator_override' AND action = 'expired' AND actor = 'ballast'") == 1)
        let overrides = await control.call("GET", "/control/v1/overrides")
        #expect((overrides.json["overrides"] as? [Any])?.isEmpty == true)
    }

    @Test func overridesSurviveARestart() async throws {
        let control = try ControlHarness()
        defer { control.stop() }
        #expect(await control.call("POST", "/control/v1/regions/secondary/drain", body: #"{"reason":"bad region"}"#).status == 200)
        #expect(await control.call("PUT", "/control/v1/degradation", body: #"{"level":1,"reason":"save tokens"}"#).status == 200)
        try control.restart()
        #expect(await control.send(8)["secondary", default: 0] == 0, "the drain was lost in the restart")
        let degradation = await control.call("GET", "/control/v1/degradation")
        #expect(degradation.json["level"] as? Int == 1 && degradation.json["source"] as? String == "operator", "\(degradation.text)")
    }

    @Test func circuitsCanBeHeldOpenClosedAndReset() async throws {
        let control = try ControlHarness()
        defer { control.stop() }
        let opened = await control.call("POST", "/control/v1/circuits/region=primary/open", body: #"{"reason":"flaky","ttl":"1h"}"#)
        #expect(opened.status == 200, "\(opened.text)")
        #expect((opened.json["circuit"] as? [String: Any])?["state"] as? String == "open")
        #expect(await control.send(10)["primary", default: 0] == 0)
        let metrics = await control.call("GET", "/metrics", token: nil)
        #expect(metrics.text.contains(#"ballast_circuit_state{target="region=primary",state="open"} 1"#))

        // A model's circuit held open everywhere: requests for it fail fast (no fallback map here).
        #expect(await control.call("POST", "/control/v1/circuits/model=claude-opus-4-1/open", body: #"{"reason":"bad model"}"#).status == 200)
        let refused = await control.harness.post(
            body: #"{"model":"claude-opus-4-1","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#,
            headers: ["content-type": "application/json", "x-api-key": "k"])
        #expect(refused.head?.status == 529, "\(refused.text)")
        #expect(refused.text.contains("model=claude-opus-4-1"))

        let reset = await control.call("POST", "/control/v1/circuits/region=primary/reset", body: #"{"reason":"fixed"}"#)
        #expect(reset.status == 200)
        #expect(await control.send(10)["primary", default: 0] == 5)
        let closed = await control.call("POST", "/control/v1/circuits/region=primary/close", body: #"{"reason":"I know better"}"#)
        #expect((closed.json["circuit"] as? [String: Any])?["state"] as? String == "closed")
        let circuits = await control.call("GET", "/control/v1/circuits")
        #expect((circuits.json["circuits"] as? [[String: Any]])?.count == 2, "\(circuits.text)")
    }

    @Test func aPinnedDegradationLevelAppliesToRequests() async throws {
        let control = try ControlHarness()
        defer { control.stop() }
        let pinned = await control.call("PUT", "/control/v1/degradation", body: #"{"level":1,"reason":"token budget"}"#)
        #expect(pinned.status == 200 && pinned.json["level"] as? Int == 1, "\(pinned.text)")
        // Level 1 of the default ladder caps max_tokens at 1024.
        let answer = await control.harness.post(
            body: #"{"model":"claude-sonnet-4-6","max_tokens":4096,"messages":[{"role":"user","content":"hi"}]}"#,
            headers: ["content-type": "application/json", "x-api-key": "k"])
        #expect(answer.head?.headers["x-ballast-degraded"]?.contains("max_tokens") == true, "a degraded answer must say so")
        let cleared = await control.call("PUT", "/control/v1/degradation", body: #"{"level":null,"reason":"done"}"#)
        #expect(cleared.json["level"] as? Int == 0 && cleared.json["source"] as? String == "rules")
        let plain = await control.harness.post(
            body: #"{"model":"claude-sonnet-4-6","max_tokens":4096,"messages":[{"role":"user","content":"hi"}]}"#,
            headers: ["content-type": "application/json", "x-api-key": "k"])
        #expect(plain.head?.headers["x-ballast-degraded"] == nil)
    }

    @Test func aBrokenReloadReportsEveryErrorAndKeepsTheRunningRules() async throws {
        let good = """
            groups:
              - name: g
                rules:
                  - name: busy
                    when: request_rate[1m] > 1000
            """
        let control = try ControlHarness(rules: good)
        defer { control.stop() }
        try "groups:\n  - name: g\n    rules:\n      - name: busy\n        when: request_rat[1m] > 1000\n        action: { explode: 1 }\n"
            .write(toFile: control.directory.path("rules.yaml"), atomically: true, encoding: .utf8)
        let refused = await control.call("POST", "/control/v1/rules/reload", body: #"{"reason":"new thresholds"}"#)
        #expect(refused.status == 422, "\(refused.text)")
        #expect(refused.errorMessage.contains("rules.yaml:5:"), "errors must name file:line:column: \(refused.errorMessage)")
        #expect(refused.errorMessage.contains("2 problem"), "\(refused.errorMessage)")
        let rules = await control.call("GET", "/control/v1/rules")
        let list = rules.json["rules"] as? [[String: Any]]
        #expect(list?.first?["when"] as? String == "request_rate[1m] > 1000", "the running rules must stay")
        #expect((rules.json["last_reload_error"] as? String)?.isEmpty == false)

        try good.replacingOccurrences(of: "1000", with: "500").write(
            toFile: control.directory.path("rules.yaml"), atomically: true,
            encoding: .utf8)
        let reloaded = await control.call("POST", "/control/v1/rules/reload", body: #"{"reason":"new thresholds"}"#)
        #expect(reloaded.status == 200 && reloaded.json["rules"] as? Int == 1, "\(reloaded.text)")
        #expect(try control.auditRows("kind = 'rules_reloaded' AND action = 'refused'") == 1)
        #expect(try control.auditRows("kind = 'rules_reloaded' AND actor = 'operator:api' AND reason LIKE 'new thresholds;%'") == 1)
    }

    @Test func theAuditTrailPages() async throws {
        let control = try ControlHarness()
        defer { control.stop() }
        for index in 0..<5 {
            let weight = await control.call("PUT", "/control/v1/regions/primary/weight", body: #"{"weight":\#(index + 1),"reason":"step \#(index)"}"#)
            #expect(weight.status == 200)
        }
        var seen: [String] = []
        var before: Int?
        for _ in 0..<5 {
            let page = await control.call("GET", "/control/v1/actions?limit=2&kind=operator_override" + (before.map { "&before=\($0)" } ?? ""))
            #expect(page.status == 200, "\(page.text)")
            seen += (page.json["actions"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
            before = page.json["next_before"] as? Int
            if before == nil { break }
        }
        #expect(seen == ["step 4", "step 3", "step 2", "step 1", "step 0"], "\(seen)")
        let windows = await control.call("GET", "/control/v1/windows?window=5m&region=primary")
        #expect(windows.status == 200 && windows.json["window_seconds"] as? Double == 300, "\(windows.text)")
    }

    @Test func theStatusPageNeedsALogin() async throws {
        let control = try ControlHarness()
        defer { control.stop() }
        _ = await control.send(4)
        let anonymous = await control.call("GET", "/", token: nil)
        #expect(anonymous.status == 401 && anonymous.text.contains(#"<form method="post" action="/login">"#))
        #expect(!anonymous.text.contains("secondary"), "nothing is shown before the login")
        let wrong = await control.call("POST", "/login", body: "token=nope", token: nil)
        #expect(wrong.status == 303 && wrong.headers["location"] == "/?failed=1")
        let login = await control.call("POST", "/login", body: "token=\(ControlHarness.token)", token: nil)
        #expect(login.status == 303)
        let cookie = (login.headers["set-cookie"] ?? "").split(separator: ";").first.map(String.init) ?? ""
        #expect(cookie.hasPrefix("ballast_session=") && !cookie.contains(ControlHarness.token), "\(cookie)")
        let page = await control.call("GET", "/", token: nil, headers: ["cookie": cookie])
        #expect(page.status == 200)
        #expect(page.text.contains(#"<tr data-region="primary">"#) && page.text.contains("<svg"), "\(page.text.prefix(400))")
        #expect(page.text.contains(#"http-equiv="refresh""#))
    }

    @Test func theRouteTableAndTheOpenAPIDocumentAgree() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/control-api.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var documented: Set<String> = []
        var currentPath: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") {
                inPaths = true
                continue
            }
            if inPaths, let first = line.first, first != " ", first != "#" { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if let currentPath, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()
                if ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(method) { documented.insert("\(method) \(currentPath)") }
            }
        }
        let served = Set(ControlEndpoint.allCases.map(\.rawValue))
        #expect(served.subtracting(documented).isEmpty, "routes missing from docs/control-api.yaml: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented routes the server lacks: \(documented.subtracting(served).sorted())")
    }
}

/// The news of a region going out reaches the requests already stuck there.
@Suite struct RegionOutTests {
    /// The primary accepts the request and never answers. When its circuit opens (here by an
    /// operator; the rules go the same way), the request gets a copy in the secondary at once:
    /// the answer says it was hedged. Without the news it would wait for the first-byte timeout
    /// and come back as a plain retry (seen, 11 s later with a 10 s timeout). The timeout is 2
    /// minutes here: in a loaded full run the operator's call once came after 10 s.
    @Test func openingACircuitMovesTheRequestsStuckInThatRegion() async throws {
        let control = try ControlHarness(primaryStalls: true, firstByteTimeout: 120)
        defer { control.stop() }
        let pending = ResponseCollector()
        control.harness.client.submit(
            UpstreamRequest(
                url: control.harness.baseURL + "/v1/messages", headers: ["content-type": "application/json", "x-api-key": "k"],
                body: Array(#"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#.utf8)),
            delegate: pending)
        #expect(await eventually { control.counts.value.withLock { $0["primary", default: 0] } == 1 })
        let opened = await control.call("POST", "/control/v1/circuits/region=primary/open", body: #"{"reason":"stalled"}"#)
        #expect(opened.status == 200, "\(opened.text)")
        let answer = await pending.result()
        #expect(answer.head?.status == 200)
        #expect(answer.head?.headers["x-ballast-region"] == "secondary")
        #expect(answer.head?.headers["x-ballast-hedged"] == "true", "moved by a first-byte timeout, not by the circuit opening")
        let metrics = await control.call("GET", "/metrics", token: nil)
        #expect(metrics.text.contains(#"ballast_hedges_total{result="rescue"} 1"#))
    }
}
