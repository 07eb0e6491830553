import BallastCore
import Cache
import ControlModels
import HTTPServer
import Rules
import JSON
import RulesRuntime
import Telemetry

/// The control API under `/control/v1/`: JSON reads of what Ballast is doing and why, and
/// the operator's writes (drains, weights, circuits, degradation, rule reloads). Every route
/// needs the bearer token; every write needs a reason and lands in the audit table.
/// Reads are in `ControlAPI+Reads.swift`.
package final class ControlAPI: Sendable {
    let context: ControlContext

    package init(context: ControlContext) {
        self.context = context
    }

    /// Answers a `/control/v1/` request already matched to `endpoint`.
    func handle(_ endpoint: ControlEndpoint, parameters: [String: String], request: HTTPRequest) -> HTTPResponse {
        guard context.auth.authorisesAPI(request.headers) else {
            return Self.error(context.auth.refusal, headers: ["www-authenticate": #"Bearer realm="ballast""#])
        }
        let document: any Encodable
        do {
            document = try answer(endpoint, parameters: parameters, request: request)
        } catch {
            return Self.error(error)
        }
        do {
            return .json(200, try ControlCoding.encode(document), headers: ["cache-control": "no-store"])
        } catch {
            // Only a number that is not finite fails to encode (JSON has none), and every
            // figure that may not be passes through `figure` first.
            return Self.error(ControlError(status: 500, type: "api_error", message: "the answer could not be written: \(error)"))
        }
    }

    static func error(_ error: ControlError, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.set("cache-control", "no-store")
        return .json(error.status, error.json, headers: headers)
    }

    /// A figure as the documents carry it: rounded to a microsecond (or a millionth of a
    /// ratio), nil when there is none or it is not finite (JSON has no NaN).
    static func figure(_ value: Double?) -> Double? {
        guard let value, value.isFinite else { return nil }
        return (value * 1_000_000).rounded() / 1_000_000
    }

    private func answer(
        _ endpoint: ControlEndpoint, parameters: [String: String],
        request: HTTPRequest
    ) throws(ControlError) -> any Encodable {
        switch endpoint {
        case .status: return statusDocument()
        case .regions: return ControlReply.Regions(regions: regionDocuments(context.rules.view()))
        case .circuits: return ControlReply.Circuits(circuits: circuitDocuments(context.rules.view()))
        case .models: return ControlReply.Models(models: modelDocuments(context.rules.view()))
        case .degradation: return degradationDocument(context.rules.view())
        case .rules: return rulesDocument(context.rules.view())
        case .overrides: return ControlReply.Overrides(overrides: context.rules.view().overrides.all.map { overrideDocument($0) })
        case .actions: return try actionsDocument(request)
        case .windows: return try windowDocument(request)
        case .instances: return instancesDocument()
        case .clients: return clientsDocument()
        case .reloadClients: return try clientsReload(request)
        case .drainRegion, .restoreRegion, .weightRegion:
            return try regionWrite(endpoint, name: parameters["name"] ?? "", request: request)
        case .openCircuit, .closeCircuit, .resetCircuit:
            return try circuitWrite(endpoint, id: parameters["id"] ?? "", request: request)
        case .setDegradation: return try degradationWrite(request)
        case .reloadRules: return try reloadWrite(request)
        case .canaries: return ControlReply.Canaries(canaries: context.migrations.states.map { canaryDocument($0) })
        case .startCanary: return try startCanary(request)
        case .advanceCanary, .holdCanary, .resumeCanary, .rollbackCanary, .finishCanary:
            return try canaryCommand(endpoint, name: parameters["name"] ?? "", request: request)
        case .statusPage, .login, .health, .live, .ready, .metrics:
            throw .notFound("no control route for \(request.method) \(request.path)")
        }
    }

    // MARK: Writes

    func body(_ request: HTTPRequest, allowing fields: Set<String>) throws(ControlError) -> ([String: JSONValue], OperatorRequest) {
        let object = try ControlJSON.object(request.body)
        try ControlJSON.requireOnly(fields.union(["reason", "ttl", "operator"]), in: object)
        do {
            return (object, try ControlJSON.operatorRequest(object, operatorHeader: request.headers["x-ballast-operator"]))
        } catch {
            if let reason = error.refusal { context.refusals?.add(reason) }
            throw error
        }
    }

    private func regionWrite(_ endpoint: ControlEndpoint, name: String, request: HTTPRequest) throws(ControlError) -> ControlReply.Region {
        var heldBy: [String] = []
        switch endpoint {
        case .drainRegion:
            let (_, who) = try body(request, allowing: [])
            try ControlError.mapping { () throws(OperatorCommandError) in try context.rules.drain(region: name, who) }
        case .restoreRegion:
            let (_, who) = try body(request, allowing: [])
            heldBy = try ControlError.mapping { () throws(OperatorCommandError) in try context.rules.restore(region: name, who) }
        default:
            let (object, who) = try body(request, allowing: ["weight"])
            guard let weight = try ControlJSON.integer(object, "weight") else { throw .badRequest("'weight' is required") }
            try ControlError.mapping { () throws(OperatorCommandError) in try context.rules.setWeight(region: name, weight: weight, who) }
        }
        context.writer.flush()
        let view = context.rules.view()
        // The command has just found the region, so it is there.
        guard let region = regionDocuments(view).first(where: { $0.name == name }) else { throw .notFound("no region named '\(name)'") }
        let note =
            heldBy.isEmpty
            ? nil
            : "the operator's override is cleared, but \(heldBy.joined(separator: ", ")) still holds \(name) away; "
                + "close that circuit or pin a weight to overrule the rules"
        return ControlReply.Region(region: region, note: note)
    }

    private func circuitWrite(_ endpoint: ControlEndpoint, id: String, request: HTTPRequest) throws(ControlError) -> ControlReply.Circuit {
        guard let target = CircuitTarget(parsing: id) else {
            throw .badRequest("'\(id)' is not a circuit id: use region=NAME, model=NAME or region=NAME,model=NAME")
        }
        let (_, who) = try body(request, allowing: [])
        let command: CircuitCommand =
            switch endpoint {
            case .openCircuit: .open
            case .closeCircuit: .close
            default: .reset
            }
        try ControlError.mapping { () throws(OperatorCommandError) in try context.rules.circuit(target, command, who) }
        context.writer.flush()
        let view = context.rules.view()
        return ControlReply.Circuit(circuit: circuitDocument(target, view))
    }

    private func degradationWrite(_ request: HTTPRequest) throws(ControlError) -> DegradationStatus {
        let (object, who) = try body(request, allowing: ["level"])
        guard object["level"] != nil else {
            throw .badRequest("'level' is required: a level to pin, or null to hand the level back to the rules")
        }
        let level = try ControlJSON.integer(object, "level")
        try ControlError.mapping { () throws(OperatorCommandError) in try context.rules.setDegradation(level: level, who) }
        context.writer.flush()
        return degradationDocument(context.rules.view())
    }

    private func reloadWrite(_ request: HTTPRequest) throws(ControlError) -> ControlReply.RulesReloaded {
        let (_, who) = try body(request, allowing: [])
        if let error = context.rules.reload(actor: who.actor, reason: who.reason) {
            let issues = "\(error)".split(separator: "\n").map(String.init)
            throw ControlError(
                status: 422, type: "rules_invalid",
                message: "the rules were not reloaded (the running rules stay): \(issues.count) problem(s): "
                    + issues.joined(separator: "; "))
        }
        context.writer.flush()
        let view = context.rules.view()
        return ControlReply.RulesReloaded(rules: view.ruleSet.rules.count, files: view.ruleSet.files)
    }
}
