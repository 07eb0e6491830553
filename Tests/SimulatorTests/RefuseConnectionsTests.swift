import BallastConfig
import BallastTesting
import Dispatch
import Foundation
import Testing
@testable import BallastSimulator

/// `refuse_connections`: the region's listener closes (connects fail with ECONNREFUSED,
/// curl exit 7) and reopens on the same port when the fault ends.
@Suite struct RefuseConnectionsTests {
    /// curl's exit code for "failed to connect to host".
    static let refused: Int32 = 7

    private func call(_ region: SimulatedRegion) throws -> CurlResult {
        try Curl.request(region.baseURL + "/v1/messages", json: messagesBody())
    }

    @Test func scheduleClosesAndReopensTheListener() throws {
        let config = try SimulatorConfig.parse(
            """
            regions:
              - name: primary
                listen: 127.0.0.1:0
                schedule:
                  - { at: 0s, for: 10s, faults: { refuse_connections: true } }
                  - { at: 20s, for: 5s, faults: { refuse_connections: true } }
            """, file: "refuse.yaml")
        let clock = ManualClock()
        let simulator = Simulator(config: config, clock: clock)
        try simulator.start()
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "primary"))
        let port = region.port
        #expect(port != 0)  // bound once at start, so port 0 still gets a real port

        // Refusing from the start: closed before `start()` returned, control endpoints included.
        #expect(!region.isListening)
        #expect(try call(region).exitCode == Self.refused)
        #expect(try Curl.get(region.baseURL + "/_sim/stats").exitCode == Self.refused)
        #expect(region.stats.refusalPeriods == 1)

        // The window ends: the watcher reopens the same port.
        clock.advance(seconds: 10)
        #expect(eventually { (try? call(region))?.status == 200 })
        #expect(region.port == port)
        #expect(region.isListening)

        // The second window closes it again; the stats survive the restarts.
        clock.advance(seconds: 10)
        #expect(eventually { (try? call(region))?.exitCode == Self.refused })
        #expect(region.port == port)
        clock.advance(seconds: 5)
        #expect(eventually { (try? call(region))?.status == 200 })
        #expect(region.port == port)
        let stats = region.stats
        #expect(stats.refusalPeriods == 2)
        #expect(stats.requestsReceived == stats.responses(status: 200))
        #expect(stats.responses(status: 200) >= 2)
        let json = try #require(jsonObject(try Curl.get(region.baseURL + "/_sim/stats").body))
        #expect(json["refusal_periods"] as? Int == 2)
    }

    @Test func setFaultsAppliesAtOnceAndCutsOpenStreams() throws {
        let simulator = try startSimulator()
        defer { simulator.stop() }  // a second stop does nothing
        let region = try #require(simulator.region(named: "primary"))
        let port = region.port
        #expect(try call(region).status == 200)

        // A slow stream is open when the listener closes: it is cut, not finished.
        let streamDone = DispatchSemaphore(value: 0)
        let streamExit = ExitCodeBox()
        DispatchQueue.global().async {
            let result = try? Curl.request(
                region.baseURL + "/v1/messages", json: messagesBody(stream: true),
                headers: ["x-sim-output-tokens": "100", "x-sim-token-interval-ms": "100"])
            streamExit.set(result?.exitCode ?? -1)
            streamDone.signal()
        }
        #expect(eventually { region.stats.streamsActive == 1 })

        region.setFaults(FaultSettings(refuseConnections: true))
        #expect(!region.isListening)
        #expect(region.effectiveFaults.refuseConnections)
        #expect(try call(region).exitCode == Self.refused)
        #expect(streamDone.wait(timeout: .now() + 5) == .success)
        #expect(streamExit.get() != 0)  // truncated chunked body, well before its 10 s
        #expect(eventually { region.stats.streamsAbortedByClient == 1 && region.stats.streamsActive == 0 })

        region.setFaults(FaultSettings())
        #expect(region.isListening)
        #expect(region.port == port)
        #expect(try call(region).status == 200)
        #expect(region.stats.refusalPeriods == 1)

        // After the simulator stops, healing faults does not reopen the region.
        simulator.stop()
        region.setFaults(FaultSettings())
        #expect(!region.isListening)
        #expect(try call(region).exitCode == Self.refused)
    }

    @Test func putFaultsClosesTheListenerAfterAnswering() throws {
        let simulator = try startSimulator()
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "primary"))
        let put = try Curl.request(region.baseURL + "/_sim/faults", method: "PUT", json: #"{"refuse_connections": true}"#)
        #expect(put.status == 200)
        #expect(put.body.contains(#""refuse_connections":true"#))
        // The server thread cannot stop its own server: the watcher does, moments later.
        #expect(eventually { (try? call(region))?.exitCode == Self.refused })
        #expect(!region.isListening)
        // Its own control endpoint is gone too; in-process `setFaults` heals it.
        #expect(try Curl.get(region.baseURL + "/_sim/faults").exitCode == Self.refused)
        region.setFaults(FaultSettings())
        #expect(try call(region).status == 200)
    }

    @Test func parserAcceptsTheKeyInEveryFaultsSection() throws {
        let config = try SimulatorConfig.parse(
            """
            regions:
              - name: a
                faults: { refuse_connections: true }
                schedule:
                  - { at: 5s, for: 1s, faults: { refuse_connections: false } }
            """)
        #expect(config.regions[0].faults == FaultSettings(refuseConnections: true))
        #expect(
            config.regions[0].schedule == [
                FaultScheduleEntry(
                    at: 5, duration: 1,
                    faults: FaultOverride(refuseConnections: false))
            ])
        let put = try FaultSettings.parse(#"{"refuse_connections": true, "outage": false}"#)
        #expect(put == FaultSettings(refuseConnections: true))
        #expect(try FaultSettings.parse(put.json) == put)
        #expect(FaultSettings().json.hasSuffix(#""outage":false,"refuse_connections":false}"#))
    }

    @Test func parserRejectsANonBooleanWithLineAndColumn() {
        let text = """
            regions:
              - name: a
                faults: { refuse_connections: maybe }
                schedule:
                  - { at: 0s, faults: { refuse_connections: 3 } }
            """
        do {
            _ = try SimulatorConfig.parse(text, file: "bad.yaml")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            let lines = error.issues.map(\.description)
            #expect(
                lines.contains { $0.hasPrefix("bad.yaml:3:35:") && $0.contains("'refuse_connections' must be true or false") },
                "\(lines)")
            #expect(
                lines.contains { $0.hasPrefix("bad.yaml:5:49:") && $0.contains("'refuse_connections' must be true or false") },
                "\(lines)")
            #expect(error.issues.count == 2)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        do {
            _ = try FaultSettings.parse("{\n  \"refuse_connections\": \"soon\"\n}", file: "PUT /_sim/faults")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.description.contains("PUT /_sim/faults:2:25:"), "\(error.description)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
