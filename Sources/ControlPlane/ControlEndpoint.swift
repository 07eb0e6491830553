/// Every route of the admin listener: the route table the handler dispatches on and the
/// OpenAPI document (`docs/control-api.yaml`) is checked against, both ways.
package enum ControlEndpoint: String, CaseIterable, Sendable {
    case statusPage = "GET /"
    case login = "POST /login"
    case health = "GET /healthz"
    case live = "GET /livez"
    case ready = "GET /readyz"
    case metrics = "GET /metrics"
    case status = "GET /control/v1/status"
    case regions = "GET /control/v1/regions"
    case drainRegion = "POST /control/v1/regions/{name}/drain"
    case restoreRegion = "POST /control/v1/regions/{name}/restore"
    case weightRegion = "PUT /control/v1/regions/{name}/weight"
    case circuits = "GET /control/v1/circuits"
    case openCircuit = "POST /control/v1/circuits/{id}/open"
    case closeCircuit = "POST /control/v1/circuits/{id}/close"
    case resetCircuit = "POST /control/v1/circuits/{id}/reset"
    case models = "GET /control/v1/models"
    case degradation = "GET /control/v1/degradation"
    case setDegradation = "PUT /control/v1/degradation"
    case rules = "GET /control/v1/rules"
    case reloadRules = "POST /control/v1/rules/reload"
    case actions = "GET /control/v1/actions"
    case overrides = "GET /control/v1/overrides"
    case windows = "GET /control/v1/windows"
    case instances = "GET /control/v1/instances"
    case clients = "GET /control/v1/clients"
    case reloadClients = "POST /control/v1/clients/reload"
    case canaries = "GET /control/v1/canaries"
    case startCanary = "POST /control/v1/canaries"
    case advanceCanary = "POST /control/v1/canaries/{name}/advance"
    case holdCanary = "POST /control/v1/canaries/{name}/hold"
    case resumeCanary = "POST /control/v1/canaries/{name}/resume"
    case rollbackCanary = "POST /control/v1/canaries/{name}/rollback"
    case finishCanary = "POST /control/v1/canaries/{name}/finish"

    var method: String { String(rawValue.prefix { $0 != " " }) }
    var pattern: String { String(rawValue.drop { $0 != " " }.dropFirst()) }

    /// Routes that change state: they need a reason and are audited.
    var isWrite: Bool { method != "GET" && self != .login }

    /// The endpoint for `method` and `path` with its path parameters, or nil. libmicrohttpd
    /// hands over the path already percent-decoded.
    static func match(method: String, path: String) -> (endpoint: ControlEndpoint, parameters: [String: String])? {
        let segments = Self.segments(path)
        for endpoint in allCases where endpoint.method == method {
            if let parameters = endpoint.bind(segments) { return (endpoint, parameters) }
        }
        return nil
    }

    /// The methods the path answers to (for 405's `allow` header); empty for an unknown path.
    static func methods(for path: String) -> [String] {
        let segments = Self.segments(path)
        return allCases.filter { $0.bind(segments) != nil }.map(\.method)
    }

    private func bind(_ segments: [Substring]) -> [String: String]? {
        let parts = Self.segments(pattern)
        guard parts.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (part, segment) in zip(parts, segments) {
            if part.hasPrefix("{"), part.hasSuffix("}") {
                guard !segment.isEmpty else { return nil }
                parameters[String(part.dropFirst().dropLast())] = String(segment)
            } else if part != segment {
                return nil
            }
        }
        return parameters
    }

    private static func segments(_ path: some StringProtocol) -> [Substring] {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? Substring(path.dropLast()) : Substring(path)
        return trimmed.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 }
    }
}
