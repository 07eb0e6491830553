import BallastCore
import BallastTesting
import Foundation
@testable import Gateway
import Telemetry
import Testing
@testable import SQLite
import Upstream

/// The store refusing writes, as an unlucky operator meets it: another process holding the
/// database, a full disk. Requests are still served; every record not kept is counted with its
/// reason; `/readyz` and the status document say the store is degraded until it takes writes
/// again; an operator write the store cannot keep is refused with 503 and changes nothing; a
/// restart brings back exactly what was acknowledged.
@Suite(.serialized) struct StoreFailureTests {
    static let body = #"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#

    /// Sends `count` requests one after another; returns how many were answered 200.
    private func serve(_ control: ControlHarness, _ count: Int) async -> Int {
        var served = 0
        for _ in 0..<count {
            let result = await control.harness.post(body: Self.body, headers: ["content-type": "application/json", "x-api-key": "k"])
            if result.head?.status == 200 { served += 1 }
        }
        return served
    }

    /// `ballast_telemetry_records_dropped_total{reason="<reason>"}` from `/metrics`.
    private func dropped(_ control: ControlHarness, _ reason: String) async -> Int? {
        let metrics = await control.call("GET", "/metrics", token: nil)
        let prefix = #"ballast_telemetry_records_dropped_total{reason="\#(reason)"} "#
        guard let line = metrics.text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
        return Int(line.dropFirst(prefix.count))
    }

    private func storeHealthy(_ control: ControlHarness) async -> Double? {
        let metrics = await control.call("GET", "/metrics", token: nil)
        guard let line = metrics.text.split(separator: "\n").first(where: { $0.hasPrefix("ballast_store_healthy ") }) else { return nil }
        return Double(line.dropFirst("ballast_store_healthy ".count))
    }

    private func rows(_ control: ControlHarness) throws -> Int {
        let store = try TelemetryStore(path: control.directory.path("ballast.db"))
        return Int(try store.scalar("SELECT count(*) FROM requests") ?? "0") ?? 0
    }

    /// What `/control/v1/overrides` lists, as `target action` lines.
    private func overrides(_ control: ControlHarness) async -> [String] {
        let reply = await control.call("GET", "/control/v1/overrides")
        return ((reply.json["overrides"] as? [[String: Any]]) ?? []).map { "\($0["target"] ?? "?") \($0["action"] ?? "?")" }
    }

    private func storeDocument(_ control: ControlHarness) async -> [String: Any] {
        (await control.call("GET", "/control/v1/status")).json["store"] as? [String: Any] ?? [:]
    }

    /// Restarts on the same store and checks the overrides in force are the ones before: an
    /// override acknowledged but not saved would vanish, one cleared but not saved come back.
    private func restartReadsBackWhatWasInForce(_ control: ControlHarness) async throws {
        let before = await overrides(control)
        try control.restart()
        let after = await overrides(control)
        #expect(after == before, "before the restart \(before), after it \(after)")
    }

    @Test func aDatabaseHeldByAnotherConnection() async throws {
        // A short busy timeout keeps the test quick (the path is the same as with 5 s); 500 ms so a
        // batch of the writer on a loaded machine cannot make the acknowledged writes time out.
        let control = try ControlHarness(storeBusyTimeout: 500)
        defer { control.stop() }
        let drain = await control.call("POST", "/control/v1/regions/secondary/drain", body: #"{"reason":"bad region"}"#)
        #expect(drain.status == 200, "\(drain.text)")
        var served = await serve(control, 10)
        control.gateway.flushTelemetry()
        #expect((await control.call("GET", "/readyz", token: nil)).status == 200)

        // Another process takes the write lock and keeps it.
        let holder = try SQLiteDatabase(path: control.directory.path("ballast.db"), busyTimeout: 1_000)
        try holder.execute("BEGIN EXCLUSIVE")
        let servedWhileLocked = await serve(control, 30)
        #expect(servedWhileLocked == 30, "requests must be served while the store is locked")
        served += servedWhileLocked
        control.gateway.flushTelemetry()

        let ready = await control.call("GET", "/readyz", token: nil)
        #expect(ready.status == 503, "\(ready.text)")
        #expect((ready.json["store"] as? [String: Any])?["reason"] as? String == "busy", "\(ready.text)")
        #expect(await storeDocument(control)["status"] as? String == "degraded")
        #expect(await storeHealthy(control) == 0)
        let lostWhileLocked = await dropped(control, "busy") ?? -1
        #expect(lostWhileLocked == 30, "every record handed off while the lock was held is lost and counted")

        // The operator clears the drain: the store cannot keep it, so it is refused and
        // nothing changes.
        let refused = await control.call("POST", "/control/v1/regions/secondary/restore", body: #"{"reason":"it is back"}"#)
        #expect(refused.status == 503, "\(refused.text)")
        let error = refused.json["error"] as? [String: Any]
        #expect(error?["type"] as? String == "api_error" && (error?["message"] as? String ?? "").contains("busy"), "\(refused.text)")
        #expect(await overrides(control) == ["region=secondary drain"], "a refused write must change nothing in memory")
        #expect(await control.send(4)["secondary", default: 0] == 0, "the region must stay drained")
        served += 4

        // The lock goes; the next write succeeds and the store is ready again.
        try holder.execute("ROLLBACK")
        served += await serve(control, 5)
        control.gateway.flushTelemetry()
        #expect((await control.call("GET", "/readyz", token: nil)).status == 200)
        #expect(await storeDocument(control)["status"] as? String == "ok")
        #expect(await storeHealthy(control) == 1)
        let lost = (await dropped(control, "busy") ?? 0) + (await dropped(control, "queue_full") ?? 0)
        let stored = try rows(control)
        #expect(stored + lost == served, "rows \(stored) + dropped \(lost) must be every request served (\(served))")
        try await restartReadsBackWhatWasInForce(control)

        let restore = await control.call("POST", "/control/v1/regions/secondary/restore", body: #"{"reason":"it is back"}"#)
        #expect(restore.status == 200, "\(restore.text)")
        try control.restart()
        #expect(await overrides(control).isEmpty, "the drain the operator cleared with a 200 came back")
        #expect(try control.auditRows("target = 'region=secondary' AND action = 'drain'") == 1)
        #expect(
            try control.auditRows("target = 'region=secondary' AND action = 'restore'") == 1,
            "the acknowledged restore must be audited once, the refused one not at all")
    }

    @Test func aFullDisk() async throws {
        let control = try ControlHarness()
        defer { control.stop() }
        let path = control.directory.path("ballast.db")
        let drain = await control.call("POST", "/control/v1/regions/secondary/drain", body: #"{"reason":"bad region"}"#)
        #expect(drain.status == 200, "\(drain.text)")
        var served = await serve(control, 10)
        control.gateway.flushTelemetry()

        // The file cannot grow any more (SQLite's page cap: SQLITE_FULL, as on a full disk).
        control.gateway.store.limitPages(to: 1)
        // Until the pages are full to the brim: before that, a small batch may still fit
        // where a larger one did not.
        var ready = await control.call("GET", "/readyz", token: nil)
        for _ in 0..<40 where ready.status == 200 {
            served += await serve(control, 25)
            control.gateway.flushTelemetry()
            ready = await control.call("GET", "/readyz", token: nil)
        }
        #expect((await dropped(control, "disk_full") ?? 0) > 0, "the capped store never refused a batch")
        #expect(ready.status == 503, "\(ready.text)")
        #expect((ready.json["store"] as? [String: Any])?["reason"] as? String == "disk_full", "\(ready.text)")
        #expect(await storeHealthy(control) == 0)

        // Fill what room is left in the audit table's last page, so the operator's entry
        // needs a new page (the restore itself only deletes a row).
        let filler = try SQLiteDatabase(path: path)
        try filler.pragma("max_page_count = 1")
        var filled = false
        for _ in 0..<10_000 {
            do {
                try filler.execute("INSERT INTO audit(time, kind, target, action, reason, actor) VALUES (0, 'filler', '', '', '', '')")
            } catch let error as SQLiteError where StoreFailureReason(error) == .diskFull {
                filled = true
                break
            }
        }
        #expect(filled)
        let refused = await control.call("POST", "/control/v1/regions/secondary/restore", body: #"{"reason":"it is back"}"#)
        #expect(refused.status == 503, "\(refused.text)")
        #expect((refused.json["error"] as? [String: Any])?["type"] as? String == "api_error", "\(refused.text)")
        #expect(await overrides(control) == ["region=secondary drain"], "a refused write must change nothing in memory")

        // Room again: the store recovers with the next batch.
        control.gateway.store.limitPages(to: nil)
        served += await serve(control, 5)
        control.gateway.flushTelemetry()
        #expect((await control.call("GET", "/readyz", token: nil)).status == 200)
        #expect(await storeDocument(control)["status"] as? String == "ok")
        let lost = (await dropped(control, "disk_full") ?? 0) + (await dropped(control, "queue_full") ?? 0)
        let stored = try rows(control)
        #expect(stored + lost == served, "rows \(stored) + dropped \(lost) must be every request served (\(served))")
        try await restartReadsBackWhatWasInForce(control)

        let restore = await control.call("POST", "/control/v1/regions/secondary/restore", body: #"{"reason":"it is back"}"#)
        #expect(restore.status == 200, "\(restore.text)")
        try control.restart()
        #expect(await overrides(control).isEmpty, "the drain the operator cleared with a 200 came back")
        #expect(try control.auditRows("target = 'region=secondary' AND action = 'restore'") == 1)
        #expect(try control.auditRows("target = 'region=secondary' AND action = 'drain'") == 1)
    }

    /// What `/control/v1/canaries` lists, as `name phase step` lines.
    private func canaries(_ control: ControlHarness) async -> [String] {
        let reply = await control.call("GET", "/control/v1/canaries")
        return ((reply.json["canaries"] as? [[String: Any]]) ?? []).map { "\($0["name"] ?? "?") \($0["phase"] ?? "?") \($0["step"] ?? "?")" }
    }

    @Test func aCanaryCommandTheStoreCannotKeep() async throws {
        let control = try ControlHarness(storeBusyTimeout: 500)
        defer { control.stop() }
        let definition =
            #"{"name":"version-move","from":{"anthropic_version":"2023-06-01"},"to":{"anthropic_version":"2023-06-01"},"steps":["50%","100%"],"min_step_time":"5m","reason":"try it"}"#
        let started = await control.call("POST", "/control/v1/canaries", body: definition)
        #expect(started.status == 200, "\(started.text)")
        let before = await canaries(control)

        let holder = try SQLiteDatabase(path: control.directory.path("ballast.db"), busyTimeout: 1_000)
        try holder.execute("BEGIN EXCLUSIVE")
        let hold = await control.call("POST", "/control/v1/canaries/version-move/hold", body: #"{"reason":"look first"}"#)
        #expect(hold.status == 503 && (hold.json["error"] as? [String: Any])?["type"] as? String == "api_error", "\(hold.text)")
        let second = await control.call(
            "POST", "/control/v1/canaries",
            body: definition.replacingOccurrences(of: "version-move", with: "second"))
        #expect(second.status == 503, "\(second.text)")
        #expect(await canaries(control) == before, "a refused command must change nothing in memory")
        try holder.execute("ROLLBACK")

        try control.restart()
        #expect(await canaries(control) == before, "a restart must read back the canaries as they were in force")
        #expect(try control.auditRows("target = 'canary=version-move' AND action = 'start'") == 1)
        #expect(try control.auditRows("kind = 'canary_changed' AND action <> 'start'") == 0)
        #expect(try control.auditRows("target = 'canary=second'") == 0)
    }
}
