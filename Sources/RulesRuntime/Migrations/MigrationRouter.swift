import BallastConfig
import BallastCore
import JSON
import Rules

/// The migration step of the front door, in order: the deprecation guard (a retiring model
/// goes to its successor), pinned headers (the `anthropic-version` and `anthropic-beta` sent
/// upstream), then canaries (a stable share of matching requests moves to the new model or
/// version). Pure: the canaries' states come in, the changed request goes out.
package struct MigrationRouter: Sendable {
    let config: MigrationsConfig
    /// Key fingerprint -> key group name.
    private let groups: [String: String]

    init(config: MigrationsConfig) {
        self.config = config
        var groups: [String: String] = [:]
        for (name, fingerprints) in config.keyGroups.sorted(by: { $0.key < $1.key }) {
            for fingerprint in fingerprints where groups[fingerprint] == nil { groups[fingerprint] = name }
        }
        self.groups = groups
    }

    var isActive: Bool { !config.isEmpty }

    /// Applies the guard, the pins and the canaries to a Messages request. `canaries` are the
    /// current states, in declaration order; the first whose `from` matches decides.
    func route(
        model: String?, clientHeaders: HTTPHeaders, upstreamHeaders: inout HTTPHeaders, body: inout [UInt8],
        canaries: [CanaryState], wall: Double
    ) -> MigrationOutcome {
        var outcome = MigrationOutcome(model: model)
        var json: JSONValue?
        func parsed() -> JSONValue? {
            if json == nil { json = try? JSONParser.parse(body) }
            return json
        }
        func setModel(_ newModel: String) {
            guard var document = parsed() else { return }
            document.set("model", .string(newModel))
            json = document
            body = document.serialized()
            outcome.model = newModel
        }

        if let current = outcome.model, let retiring = config.deprecated.first(where: { $0.model == current }),
            wall >= retiring.retiresAt - config.routeWithinDays * 86_400
        {
            setModel(retiring.successor)
            outcome.deprecated = (retiring.model, retiring.successor)
            let tense = wall >= retiring.retiresAt ? "retired" : "retires"
            outcome.responseHeaders.append(("x-ballast-deprecated", "\(retiring.model) \(tense) \(retiring.retires); sent to \(retiring.successor)"))
        }

        if !config.pin.isEmpty {
            let group = KeyFingerprint.clientKey(clientHeaders).flatMap { groups[KeyFingerprint.of($0)] }
            if let pin = config.pin.first(where: { Glob.matches($0.model, outcome.model ?? "") && ($0.keyGroup == nil || $0.keyGroup == group) }) {
                Self.apply(pin, to: &upstreamHeaders)
            }
        }

        for canary in canaries {
            let from = canary.config.from
            if let pattern = from.model, !Glob.matches(pattern, outcome.model ?? "") { continue }
            if let version = from.anthropicVersion, upstreamHeaders["anthropic-version"] != version { continue }
            let share = canary.share
            var side = CanaryTag.Side.old
            if share >= 1 {
                side = .new
            } else if share > 0 {
                let value = Self.stickyValue(canary.config.stickyBy, headers: clientHeaders, json: parsed())
                side = CanaryBucket.isNew(bucket: CanaryBucket.of(canary: canary.config.name, value: value), share: share) ? .new : .old
            }
            outcome.canary = CanaryTag(canary: canary.config.name, side: side)
            if side == .new {
                if let model = canary.config.to.model { setModel(model) }
                if let version = canary.config.to.anthropicVersion { upstreamHeaders.set("anthropic-version", version) }
                outcome.responseHeaders.append(("x-ballast-canary", canary.config.name))
            }
            break
        }
        return outcome
    }

    static func apply(_ pin: PinRule, to headers: inout HTTPHeaders) {
        if let version = pin.anthropicVersion, pin.mode == .override || headers["anthropic-version"] == nil {
            headers.set("anthropic-version", version)
        }
        if let beta = pin.anthropicBeta, pin.mode == .override || headers["anthropic-beta"] == nil {
            if beta.isEmpty {
                headers.remove("anthropic-beta")
            } else {
                headers.set("anthropic-beta", beta.joined(separator: ","))
            }
        }
    }

    /// The first sticky attribute the request has, as text; a request with none is hashed by
    /// its whole body (stable for a retry of the same request).
    static func stickyValue(_ attributes: [StickyAttribute], headers: HTTPHeaders, json: JSONValue?) -> String {
        for attribute in attributes {
            switch attribute {
            case .header(let name):
                if let value = headers[name], !value.isEmpty { return "h:" + value }
            case .metadataUserID:
                if let user = json?["metadata"]?["user_id"]?.stringValue, !user.isEmpty { return "u:" + user }
            case .firstMessage:
                if let first = json?["messages"]?.arrayValue?.first { return "m:" + String(decoding: first.serialized(), as: UTF8.self) }
            case .apiKey:
                if let key = KeyFingerprint.clientKey(headers) { return "k:" + KeyFingerprint.of(key) }
            }
        }
        return "b:" + String(decoding: json?.serialized() ?? [], as: UTF8.self)
    }
}
