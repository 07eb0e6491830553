import BallastCore
import ControlModels
import HTTPServer
import Resilience
import Proxy
import RulesRuntime
import Telemetry

extension ControlAPI {
    /// `GET /control/v1/clients`: every configured client key by name, with its limits, what
    /// it used through this instance and what is left of its buckets and budget. Never the key
    /// or its hash.
    func clientsDocument() -> ClientsDocument {
        guard let gate = context.clients, gate.isActive else { return ClientsDocument(enabled: false, clients: []) }
        return ClientsDocument(enabled: true, clients: gate.statuses().map { Self.clientDocument($0) })
    }

    static func clientDocument(_ status: ClientGate.Status) -> ClientsDocument.Client {
        var remaining: [String: Int] = [:]
        for reading in status.readings { remaining[reading.dimension.rawValue] = Int(reading.remaining) }
        let limits = ClientsDocument.Limits(
            requestsPerMinute: status.limits.requestsPerMinute.map { Int($0) },
            inputTokensPerMinute: status.limits.inputTokensPerMinute.map { Int($0) },
            outputTokensPerMinute: status.limits.outputTokensPerMinute.map { Int($0) }, tokensPerDay: status.limits.tokensPerDay.map { Int($0) })
        return ClientsDocument.Client(
            name: status.name, limits: limits, models: status.models, requests: status.requests, inputTokens: status.inputTokens,
            outputTokens: status.outputTokens, refusals: status.refusals, remaining: remaining, spentTodayTokens: Int(status.spentToday),
            budgetRemainingTokens: status.budgetRemaining.map { Int($0) },
            budgetResetsAt: status.budgetResetsAt.map { RFC3339Timestamp.format(epochSeconds: $0) })
    }
}

extension ControlAPI {
    /// `POST /control/v1/clients/reload`: the config file's `clients` section replaces the key
    /// set (rotation), all or nothing; requests in flight keep their admission. Audited.
    func clientsReload(_ request: HTTPRequest) throws(ControlError) -> ControlReply.ClientsReloaded {
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
            return ControlReply.ClientsReloaded(clients: context.clients?.keyNames ?? [])
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
