import BallastCore
import HTTPServer
import Resilience
import Proxy
import RulesRuntime
import Telemetry

extension ControlAPI {
    /// `GET /control/v1/clients`: every configured client key by name, with its limits, what
    /// it used through this instance and what is left of its buckets and budget. Never the key
    /// or its hash.
    func clientsDocument() -> [String: Any] {
        guard let gate = context.clients, gate.isActive else { return ["enabled": false, "clients": [[String: Any]]()] }
        return ["enabled": true, "clients": gate.statuses().map { Self.clientDocument($0) }]
    }

    static func clientDocument(_ status: ClientGate.Status) -> [String: Any] {
        var limits: [String: Any] = [:]
        if let value = status.limits.requestsPerMinute { limits["requests_per_minute"] = Int(value) }
        if let value = status.limits.inputTokensPerMinute { limits["input_tokens_per_minute"] = Int(value) }
        if let value = status.limits.outputTokensPerMinute { limits["output_tokens_per_minute"] = Int(value) }
        if let value = status.limits.tokensPerDay { limits["tokens_per_day"] = Int(value) }
        var remaining: [String: Any] = [:]
        for reading in status.readings { remaining[reading.dimension.rawValue] = Int(reading.remaining) }
        var document: [String: Any] = [
            "name": status.name, "limits": limits, "models": status.models, "requests": status.requests,
            "input_tokens": status.inputTokens, "output_tokens": status.outputTokens, "refusals": status.refusals,
            "remaining": remaining, "spent_today_tokens": Int(status.spentToday),
        ]
        if let budget = status.budgetRemaining { document["budget_remaining_tokens"] = Int(budget) }
        if let reset = status.budgetResetsAt { document["budget_resets_at"] = RFC3339Timestamp.format(epochSeconds: reset) }
        return document
    }
}

extension ControlAPI {
    /// `POST /control/v1/clients/reload`: the config file's `clients` section replaces the key
    /// set (rotation), all or nothing; requests in flight keep their admission. Audited.
    func clientsReload(_ request: HTTPRequest) throws(ControlError) -> [String: Any] {
        let (_, who) = try body(request, allowing: [])
        guard let reload = context.reloadClients else {
            throw ControlError(status: 409, type: "conflict", message: "Ballast runs without a config file: nothing to re-read")
        }
        let now = context.clock.wallTime()
        do {
            let line = try reload()
            _ = context.writer.submit(
                AuditEvent(
                    time: now, kind: .clientsReloaded, target: "clients", action: "reloaded",
                    reason: who.reason + " (" + line + ")", actor: who.actor))
            context.writer.flush()
            return ["reloaded": true, "clients": context.clients?.keyNames ?? []]
        } catch {
            _ = context.writer.submit(
                AuditEvent(
                    time: now, kind: .clientsReloaded, target: "clients", action: "refused",
                    reason: who.reason + " (" + error.message + ")", actor: who.actor))
            context.writer.flush()
            throw ControlError(
                status: 422, type: "clients_invalid",
                message: "the client keys were not reloaded (the current keys stay): \(error.message)")
        }
    }
}
