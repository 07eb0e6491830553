import BallastConfig
import BallastCore
import Cache
import ControlModels
import HTTPServer
import JSON
import RulesRuntime
import Rules
import Telemetry

/// The control API's canary routes: list, start, and the operator's commands.
extension ControlAPI {
    func canaryDocument(_ state: CanaryState) -> CanaryStatus {
        let wall = context.clock.wallTime()
        let config = state.config
        func side(_ side: CanarySide) -> CanaryStatus.Side {
            CanaryStatus.Side(model: side.model, anthropicVersion: side.anthropicVersion)
        }
        let sides = context.migrations.sideFigures(state.config.name, wall: wall).map { side, figures in
            (
                side.rawValue,
                CanaryStatus.Figures(attempts: figures.attempts, errorRatio: Self.figure(figures.errorRatio), p99Seconds: Self.figure(figures.p99Seconds))
            )
        }
        return CanaryStatus(
            name: config.name, origin: state.origin, from: side(config.from), to: side(config.to), steps: config.steps,
            minStepTimeSeconds: config.minStepTime, autoAdvance: config.autoAdvance, stickyBy: config.stickyBy.map(\.description),
            phase: state.phase.rawValue, step: state.step + 1, share: Self.figure(state.share), summary: state.summary,
            since: Self.figure(state.since), nextStepInSeconds: Self.figure(state.phase == .running ? state.remaining(at: wall) : nil),
            sides: Dictionary(uniqueKeysWithValues: sides))
    }

    func startCanary(_ request: HTTPRequest) throws(ControlError) -> ControlReply.Canary {
        let object = try ControlJSON.object(request.body)
        try ControlJSON.requireOnly(Set(CanaryConfig.keys).union(["reason", "operator"]), in: object)
        let who = try ControlJSON.operatorRequest(object, operatorHeader: request.headers["x-ballast-operator"])
        guard let name = try ControlJSON.string(object, "name") else { throw .badRequest("'name' is required") }
        let from = try Self.side(object["from"], field: "from")
        let to = try Self.side(object["to"], field: "to")
        var definition = CanaryConfig(name: name, from: from, to: to)
        if let steps = object["steps"] {
            guard let items = steps.arrayValue else { throw .badRequest("'steps' must be a list of shares such as [0.01, 0.05, 1] or [\"1%\", \"100%\"]") }
            definition.steps = try items.map { item throws(ControlError) -> Double in
                switch item {
                case .number(let text): if let value = Double(text) { return value }
                case .string(let text):
                    if text.hasSuffix("%"), let value = Double(text.dropLast()) { return value / 100 }
                default: break
                }
                throw .badRequest("'steps' must be a list of shares such as [0.01, 0.05, 1] or [\"1%\", \"100%\"]")
            }
        }
        switch object["min_step_time"] {
        case nil, .null?: break
        case .string(let text)?:
            guard let seconds = DurationText.seconds(text) else { throw .badRequest("'min_step_time': '\(text)' is not a duration") }
            definition.minStepTime = seconds
        case .number(let text)?: definition.minStepTime = Double(text) ?? 0
        default: throw .badRequest("'min_step_time' must be a duration such as \"10m\"")
        }
        if let sticky = object["sticky_by"] {
            guard let items = sticky.arrayValue else { throw .badRequest("'sticky_by' must be a list") }
            definition.stickyBy = try items.map { item throws(ControlError) -> StickyAttribute in
                guard let text = item.stringValue, let attribute = StickyAttribute(parsing: text) else {
                    throw .badRequest("'sticky_by' takes header:NAME, metadata.user_id, first_message or api_key")
                }
                return attribute
            }
        }
        switch object["auto_advance"] {
        case nil, .null?: break
        case .bool(let value)?: definition.autoAdvance = value
        default: throw .badRequest("'auto_advance' must be true or false")
        }
        let state = try ControlError.mapping { () throws(OperatorCommandError) in try context.migrations.start(definition, who) }
        context.writer.flush()
        return ControlReply.Canary(canary: canaryDocument(state))
    }

    private static func side(_ value: JSONValue?, field: String) throws(ControlError) -> CanarySide {
        guard let value, let members = value.objectMembers else {
            throw .badRequest("'\(field)' is required: {\"model\": ..., \"anthropic_version\": ...}")
        }
        var side = CanarySide()
        for (key, member) in members {
            switch key {
            case "model": side.model = member.stringValue
            case "anthropic_version": side.anthropicVersion = member.stringValue
            default: throw .badRequest("unknown field '\(field).\(key)' (allowed: model, anthropic_version)")
            }
            if member.stringValue == nil { throw .badRequest("'\(field).\(key)' must be a string") }
        }
        if let version = side.anthropicVersion, CalendarDate.midnight(version) == nil {
            throw .badRequest("'\(field).anthropic_version' must be a version such as 2023-06-01")
        }
        return side
    }

    func canaryCommand(_ endpoint: ControlEndpoint, name: String, request: HTTPRequest) throws(ControlError) -> ControlReply.Canary {
        let object = try ControlJSON.object(request.body)
        try ControlJSON.requireOnly(["reason", "operator"], in: object)
        let who = try ControlJSON.operatorRequest(object, operatorHeader: request.headers["x-ballast-operator"])
        let command: MigrationController.Command =
            switch endpoint {
            case .advanceCanary: .advance
            case .holdCanary: .hold
            case .resumeCanary: .resume
            case .rollbackCanary: .rollback
            default: .finish
            }
        let state = try ControlError.mapping { () throws(OperatorCommandError) in try context.migrations.command(command, canary: name, who) }
        context.writer.flush()
        return ControlReply.Canary(canary: canaryDocument(state))
    }
}
