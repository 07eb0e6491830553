import BallastConfig
import BallastCore
import BallastSimulator
import BallastTesting
import Crypto
import Foundation
import Testing
import Upstream
import Gateway

/// The cloud regions' credential refreshes are exported: a Vertex region against the
/// simulator's Google token endpoint (a real JWT exchange over libcurl), and one whose token
/// endpoint refuses the key, each with its series.
@Suite struct CloudCredentialMetricsTests {
    @Test func refreshesAreCountedPerRegionAndResult() async throws {
        let key = try RSAKey.generate()
        let email = "metrics@sim-project.iam.gserviceaccount.com"
        let vertex = SimulatedRegionConfig(name: "vertex", kind: .vertex(project: "sim-project", location: "us-east5"))
        let simulator = Simulator(
            config: SimulatorConfig(
                regions: [vertex],
                gcp: SimulatedServiceAccount(clientEmail: email, publicKeyPEM: try key.publicKeyPEM())))
        try simulator.start()
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "vertex"))
        let folder = try TemporaryDirectory("cloudmetrics")
        func account(_ signing: RSAKey) throws -> String {
            let json = try JSONSerialization.data(withJSONObject: [
                "type": "service_account", "client_email": email, "private_key": try signing.privateKeyPEM(),
                "token_uri": region.baseURL + "/token",
            ])
            return String(decoding: json, as: UTF8.self)
        }
        let good = try folder.write("good.json", try account(key))
        let stranger = try folder.write("stranger.json", try account(try RSAKey.generate()))
        let harness = try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: ":memory:" }
                upstream:
                  auth: { mode: static, api_key_env: KEY }
                  hedge: { enabled: false }
                  regions:
                    - name: vertex-good
                      kind: vertex
                      project: sim-project
                      location: us-east5
                      endpoint: "\(region.baseURL)"
                      credentials_file: "\(good)"
                      weight: 100
                      models: { "claude-*": "claude-sonnet-4-5@20250929" }
                    - name: vertex-refused
                      kind: vertex
                      project: sim-project
                      location: us-east5
                      endpoint: "\(region.baseURL)"
                      credentials_file: "\(stranger)"
                      weight: 100
                      models: { "claude-*": "claude-sonnet-4-5@20250929" }
                """, environment: ["KEY": "sk-unused"])
        defer { harness.stop() }
        let body = #"{"model":"claude-sonnet-4-5","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}"#
        // Both regions are asked (weights 100/100); bounded: a few requests touch each. A request
        // routed to the refused region is answered 401 today (a cloud credential that cannot be
        // had is treated like Ballast's own: no failover), so only the served ones are checked.
        var metrics = ""
        for _ in 0..<20 {
            let answer = await harness.post(body: body)
            #expect(answer.head?.status == 200 || answer.text.contains("no valid Google access token"), "\(answer.text)")
            metrics = await harness.get("http://\(harness.gateway.adminAddress)/metrics").text
            if (Self.value(metrics, region: "vertex-refused", result: "failure") ?? 0) >= 1 { break }
        }
        #expect(metrics.contains(#"ballast_cloud_credential_refreshes_total{region="vertex-good",result="success"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"ballast_cloud_credential_refreshes_total{region="vertex-good",result="failure"} 0"#))
        #expect(metrics.contains(#"ballast_cloud_credential_refreshes_total{region="vertex-refused",result="success"} 0"#))
        // At least one: the refresher retries with backoff while requests keep asking.
        #expect((Self.value(metrics, region: "vertex-refused", result: "failure") ?? 0) >= 1)
        #expect(!metrics.contains("sim_at_"), "an access token leaked into the metrics")
    }

    static func value(_ metrics: String, region: String, result: String) -> Int? {
        let prefix = #"ballast_cloud_credential_refreshes_total{region=""# + region + #"",result=""# + result + #""} "#
        return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
    }
}
