import BallastConfig
import BallastCore
import Yams

/// Reads one rule file. Every problem is recorded in `issues` with its file:line:column
/// (expression problems at the column inside the `when:` text) and reading goes on, so one
/// run reports them all.
struct RuleFileReader {
    let file: String
    let lines: [[Unicode.Scalar]]
    let issues: ConfigIssues
    let context: RuleContext
    /// Next call id, so that ids stay unique across the files of a rule set.
    var nextID: Int

    init(file: String, text: String, issues: ConfigIssues, context: RuleContext, nextID: Int) {
        self.file = file
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var scalars = Array(line.unicodeScalars)
            if scalars.last == "\r" { scalars.removeLast() }
            return scalars
        }
        self.issues = issues
        self.context = context
        self.nextID = nextID
    }

    static let ruleKeys: Set<String> = ["name", "when", "for", "action", "recover", "description"]
    static let actionVerbs = ["circuit", "degrade", "route", "canary"]
    static let actionModifiers: Set<String> = ["target", "mode", "step"]

    mutating func read(_ root: ConfigNode) -> RuleFileContents {
        var contents = RuleFileContents()
        guard let map = root.mapping(what: "the rule file", keys: ["groups", "degradation", "routing"]) else { return contents }
        if let node = map.present("groups"), let items = node.sequence(what: "'groups'") {
            for (index, item) in items.enumerated() {
                if let group = readGroup(item, index: index, into: &contents) { contents.groups.append(group) }
            }
        }
        if let node = map.present("degradation") {
            contents.degradation = (readDegradation(node), node.location)
        }
        if let node = map.present("routing") {
            contents.routing = (readRouting(node), node.location)
        }
        return contents
    }

    // MARK: Groups and rules

    private mutating func readGroup(_ node: ConfigNode, index: Int, into contents: inout RuleFileContents) -> RuleGroup? {
        guard let map = node.mapping(what: "groups[\(index)]", keys: ["name", "interval", "rules"]) else { return nil }
        let name = map.require("name").flatMap { identifier($0, what: "group name") }
        var interval = Duration.seconds(1)
        if let intervalNode = map["interval"], let value = intervalNode.duration(what: "'interval'") {
            if value < 0.1 || value > 3600 {
                intervalNode.error("'interval' must be between 100ms and 1h, not \(DurationText.format(value))")
            } else {
                interval = .seconds(value)
            }
        }
        if let name, let nameNode = map["name"] { contents.groupNames.append((name, nameNode.location)) }
        var rules: [Rule] = []
        if let rulesNode = map.require("rules"), let items = rulesNode.sequence(what: "'rules' of group '\(name ?? "?")'") {
            if items.isEmpty { rulesNode.error("group '\(name ?? "?")' has no rules") }
            for item in items {
                if let rule = readRule(item, group: name ?? "", into: &contents) { rules.append(rule) }
            }
        }
        guard let name else { return nil }
        return RuleGroup(name: name, interval: interval, rules: rules, file: file, location: node.location)
    }

    private mutating func readRule(_ node: ConfigNode, group: String, into contents: inout RuleFileContents) -> Rule? {
        guard let map = node.mapping(what: "rule", keys: Self.ruleKeys) else { return nil }
        let name = map.require("name").flatMap { identifier($0, what: "rule name") }
        if let name, let nameNode = map["name"] { contents.ruleNames.append((name, nameNode.location)) }
        let label = "rule '\(name ?? "?")'"
        var expression: CompiledExpression?
        if let whenNode = map.require("when"), let text = whenNode.scalarText(what: "'when'") {
            switch ExpressionCompiler.compile(text, regions: context.regionNames, maxWindow: context.maxWindow, nextID: &nextID) {
            case .success(let compiled):
                expression = compiled
            case .failure(let error):
                let positions = ScalarPositions(whenNode, lines: lines)
                for issue in error.issues { issues.add(positions.location(at: issue.offset), issue.message) }
            }
        }
        var pendingFor = Duration.zero
        if let forNode = map["for"], let value = forNode.duration(what: "'for'") { pendingFor = .seconds(value) }
        var summary: String?
        if let node = map["description"] { summary = node.string(what: "'description'") }
        var action: RuleAction?
        let recover = map.present("recover")
        if let actionNode = map.present("action") {
            action = readAction(actionNode, recover: recover, grouping: expression?.grouping, rule: label, contents: &contents)
        } else if let recoverKey = map.entries.first(where: { $0.key.node.string == "recover" })?.key {
            recoverKey.error("'recover' belongs to an action, and \(label) has none")
        }
        guard let name, let expression else { return nil }
        return Rule(
            key: RuleKey(group: group, rule: name), expression: expression, pendingFor: pendingFor, action: action,
            summary: summary, location: node.location)
    }

    /// A group or rule name: letters, digits, `_ . : -`, as fits a metric label value.
    private func identifier(_ node: ConfigNode, what: String) -> String? {
        guard let text = node.string(what: what) else { return nil }
        let valid =
            !text.isEmpty
            && text.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "_.:-".unicodeScalars.contains($0)
            }
        guard valid else {
            node.error("\(what) must be letters, digits, '_', '.', ':' or '-' (such as primary-failing), not '\(text)'")
            return nil
        }
        return text
    }

    // MARK: Actions

    private mutating func readAction(
        _ node: ConfigNode, recover: ConfigNode?, grouping: Grouping?, rule: String,
        contents: inout RuleFileContents
    ) -> RuleAction? {
        guard case .mapping(let raw) = node.node else {
            node.error("'action' must be a mapping such as { circuit: open, target: { region: primary } }")
            return nil
        }
        var allowed = Set(Self.actionVerbs).union(Self.actionModifiers)
        for (key, _) in raw {
            let keyName = key.string ?? ""
            if !allowed.contains(keyName) {
                ConfigNode(node: key, file: file, issues: issues)
                    .error("unknown action '\(keyName)' (known: \(Self.actionVerbs.joined(separator: ", ")); with target, mode, step)")
                allowed.insert(keyName)
            }
        }
        guard let map = node.mapping(what: "action", keys: allowed) else { return nil }
        let verbs = Self.actionVerbs.filter { map.has($0) }
        guard let verb = verbs.first else {
            if map.entries.allSatisfy({ Self.actionModifiers.contains($0.key.node.string ?? "") }) {
                node.error("the action of \(rule) needs one of: circuit, degrade, route")
            }
            return nil
        }
        if verbs.count > 1 {
            map.entries.first { $0.key.node.string == verbs[1] }?.key
                .error("an action does one thing, but \(rule) has both '\(verbs[0])' and '\(verbs[1])'; write two rules")
            return nil
        }
        switch verb {
        case "circuit": return readCircuit(map, recover: recover, grouping: grouping, rule: rule).map(RuleAction.circuit)
        case "degrade": return readDegrade(map, recover: recover, rule: rule, contents: &contents).map(RuleAction.degrade)
        case "canary": return readCanary(map, recover: recover, rule: rule).map(RuleAction.canary)
        default: return readRoute(map, recover: recover, grouping: grouping, rule: rule).map(RuleAction.route)
        }
    }

    private func modifierNotAllowed(_ map: ConfigMapping, _ key: String, verb: String) -> Bool {
        guard let keyNode = map.entries.first(where: { $0.key.node.string == key })?.key else { return false }
        keyNode.error("'\(key)' does not apply to a \(verb) action")
        return true
    }

    private func readCircuit(_ map: ConfigMapping, recover: ConfigNode?, grouping: Grouping?, rule: String) -> CircuitAction? {
        var valid = true
        if let node = map["circuit"], let value = node.string(what: "'circuit'"), value != "open" {
            node.error("'circuit' can only be 'open' (circuits close by themselves, through 'recover'), not '\(value)'")
            valid = false
        }
        if modifierNotAllowed(map, "step", verb: "circuit") { valid = false }
        let target = map.require("target").flatMap { readTarget($0, grouping: grouping, allowModel: true) }
        var mode = CircuitMode.reroute
        if let target, target.region == nil { mode = .fallback }
        if let node = map["mode"], let text = node.string(what: "'mode'") {
            if let value = CircuitMode(rawValue: text), let target {
                let modelOnly = target.region == nil
                if modelOnly, value == .reroute {
                    node.error("a circuit for a model in every region cannot reroute; use 'fallback' or 'fail_fast'")
                    valid = false
                } else if !modelOnly, value != .reroute {
                    node.error("a circuit with a region reroutes to other regions; 'mode: \(text)' applies to model-only circuits")
                    valid = false
                } else {
                    mode = value
                }
            } else if CircuitMode(rawValue: text) == nil {
                node.error("unknown circuit mode '\(text)' (known: \(CircuitMode.allCases.map(\.rawValue).joined(separator: ", ")))")
                valid = false
            }
        }
        let policy = recover.map(readCircuitRecover) ?? CircuitPolicy()
        guard valid, let target, let policy else { return nil }
        return CircuitAction(target: target, mode: mode, policy: policy)
    }

    private func readCircuitRecover(_ node: ConfigNode) -> CircuitPolicy? {
        guard let map = node.mapping(what: "recover (circuit)", keys: ["after", "max_open", "reset_after", "probe"]) else { return nil }
        let defaults = CircuitPolicy()
        var valid = true
        let after = positive(map, "after") ?? defaults.openFor
        let maxOpen = positive(map, "max_open") ?? max(defaults.maxOpen, after)
        if maxOpen < after {
            map["max_open"]?.error("'max_open' (\(DurationText.format(maxOpen.seconds))) must not be below 'after' (\(DurationText.format(after.seconds)))")
            valid = false
        }
        let resetAfter = positive(map, "reset_after")
        var probe = ProbePolicy()
        if let probeNode = map.present("probe"),
            let probeMap = probeNode.mapping(what: "recover.probe", keys: ["requests", "max_error_ratio", "classes", "timeout"])
        {
            if let node = probeMap["requests"], let value = node.int(what: "'probe.requests'") {
                if (1...1000).contains(value) {
                    probe.requests = value
                } else {
                    node.error("'probe.requests' must be between 1 and 1000, not \(value)")
                    valid = false
                }
            }
            if let value = probeMap.ratio("max_error_ratio") { probe.maxErrorRatio = value }
            if let node = probeMap["classes"] {
                if let set = classSet(node) { probe.classes = set } else { valid = false }
            }
            if let value = positive(probeMap, "timeout") { probe.timeout = value }
        }
        guard valid else { return nil }
        return CircuitPolicy(openFor: after, maxOpen: maxOpen, resetAfter: resetAfter, probe: probe)
    }

    private func classSet(_ node: ConfigNode) -> OutcomeClassSet? {
        guard let text = node.string(what: "'classes'") else { return nil }
        var set: OutcomeClassSet = []
        for name in text.split(separator: "|") {
            guard let outcome = OutcomeClass(rawValue: String(name.filter { $0 != " " })) else {
                node.error("unknown outcome class '\(name)' (known: \(OutcomeClass.allCases.map(\.rawValue).joined(separator: ", ")))")
                return nil
            }
            set.insert(OutcomeClassSet([outcome]))
        }
        if set.isEmpty { node.error("'classes' needs at least one outcome class, such as upstream|local") }
        return set.isEmpty ? nil : set
    }

    private func readDegrade(
        _ map: ConfigMapping, recover: ConfigNode?, rule: String,
        contents: inout RuleFileContents
    ) -> DegradeAction? {
        var valid = true
        for key in ["target", "mode", "step"] where modifierNotAllowed(map, key, verb: "degrade") { valid = false }
        var level: Int?
        if let node = map["degrade"], let value = node.int(what: "'degrade' (the level)") {
            if value >= 1 {
                level = value
                contents.degradeLevels.append((value, node.location))
            } else {
                node.error("'degrade' is a level of 1 or more, not \(value)")
            }
        }
        var after = DegradeAction(level: 1).after
        if let recover, let recoverMap = recover.mapping(what: "recover (degrade)", keys: ["after"]) {
            if let value = positive(recoverMap, "after") { after = value }
        }
        guard valid, let level else { return nil }
        return DegradeAction(level: level, after: after)
    }

    private func readCanary(_ map: ConfigMapping, recover: ConfigNode?, rule: String) -> CanaryAction? {
        var valid = true
        for key in ["mode", "step"] where modifierNotAllowed(map, key, verb: "canary") { valid = false }
        if let recover {
            recover.error("a canary action has no 'recover': a rollback waits for an operator, a hold ends when the rule resolves")
            valid = false
        }
        var command: CanaryAction.Command?
        if let node = map["canary"], let text = node.string(what: "'canary'") {
            command = CanaryAction.Command(rawValue: text)
            if command == nil { node.error("'canary' is rollback, hold or advance, not '\(text)'") }
        }
        var migration: String?
        if let targetNode = map["target"], let target = targetNode.mapping(what: "target", keys: ["migration"]) {
            if let node = target.require("migration"), let name = node.string(what: "target migration") {
                if name.isEmpty { node.error("target migration needs a canary's name") } else { migration = name }
            }
            if migration == nil { valid = false }
        }
        guard valid, let command else { return nil }
        return CanaryAction(command: command, migration: migration)
    }

    private func readRoute(_ map: ConfigMapping, recover: ConfigNode?, grouping: Grouping?, rule: String) -> RouteAction? {
        var valid = true
        if let node = map["route"], let value = node.string(what: "'route'"), value != "drain" {
            node.error("'route' can only be 'drain' (traffic comes back by itself, through 'recover'), not '\(value)'")
            valid = false
        }
        if modifierNotAllowed(map, "mode", verb: "route") { valid = false }
        var region: String?
        if let targetNode = map.require("target"), let target = readTarget(targetNode, grouping: grouping, allowModel: false) {
            if let name = target.region { region = name } else { targetNode.error("a route action needs 'target: { region: ... }'") }
        }
        var step = 1.0
        if let node = map["step"], let value = node.ratio(what: "'step'") {
            if value > 0 {
                step = value
            } else {
                node.error("'step' must be above 0")
                valid = false
            }
        }
        var failback: FailbackPolicy?
        if let recover {
            failback = readFailback(
                recover, keys: ["after", "step", "interval", "max_hold_down"], holdDownKey: "after",
                stepKey: "step", intervalKey: "interval", defaults: FailbackPolicy())
            if failback == nil { valid = false }
        }
        guard valid, let region else { return nil }
        return RouteAction(region: region, step: step, failback: failback)
    }

    private func readTarget(_ node: ConfigNode, grouping: Grouping?, allowModel: Bool) -> TargetTemplate? {
        let keys: Set<String> = allowModel ? ["region", "model"] : ["region"]
        guard let map = node.mapping(what: "target", keys: keys) else { return nil }
        var valid = true
        var target = TargetTemplate()
        if let regionNode = map["region"], let value = regionNode.string(what: "target region") {
            if value.hasPrefix("$") {
                if value != "$region" {
                    regionNode.error("unknown placeholder '\(value)'; the region of a grouped rule is '$region'")
                    valid = false
                } else if let grouping, !grouping.contains(.region) {
                    regionNode.error("'$region' needs the rule's expression grouped by region, such as error_ratio[1m] by (region) > 0.5")
                    valid = false
                }
            } else if !context.regions.isEmpty, !context.regionNames.contains(value) {
                regionNode.error("unknown region '\(value)' (known: \(context.regionNames.joined(separator: ", ")))")
                valid = false
            }
            target.region = value
        }
        if let modelNode = map["model"], let value = modelNode.string(what: "target model") {
            if value.hasPrefix("$") {
                if value != "$model" {
                    modelNode.error("unknown placeholder '\(value)'; the model of a grouped rule is '$model'")
                    valid = false
                } else if let grouping, !grouping.contains(.model) {
                    modelNode.error("'$model' needs the rule's expression grouped by model, such as error_ratio[1m] by (model) > 0.5")
                    valid = false
                }
            } else if value.isEmpty {
                modelNode.error("the target model must not be empty")
                valid = false
            }
            target.model = value
        }
        if target.region == nil && target.model == nil {
            node.error(allowModel ? "'target' needs a region, a model, or both" : "'target' needs a region")
            valid = false
        }
        return valid ? target : nil
    }

    private func readFailback(
        _ node: ConfigNode, keys: Set<String>, holdDownKey: String, stepKey: String, intervalKey: String,
        defaults: FailbackPolicy
    ) -> FailbackPolicy? {
        guard let map = node.mapping(what: "recover (route)", keys: keys) else { return nil }
        var valid = true
        let holdDown = positive(map, holdDownKey) ?? defaults.holdDown
        var step = defaults.step
        if let stepNode = map[stepKey], let value = stepNode.ratio(what: "'\(stepKey)'") {
            if value > 0 {
                step = value
            } else {
                stepNode.error("'\(stepKey)' must be above 0")
                valid = false
            }
        }
        let interval = positive(map, intervalKey) ?? defaults.interval
        let maxHoldDown = positive(map, "max_hold_down") ?? max(defaults.maxHoldDown, holdDown)
        if maxHoldDown < holdDown {
            map["max_hold_down"]?.error("'max_hold_down' must not be below the hold-down (\(DurationText.format(holdDown.seconds)))")
            valid = false
        }
        return valid ? FailbackPolicy(holdDown: holdDown, step: step, interval: interval, maxHoldDown: maxHoldDown) : nil
    }

    private func positive(_ map: ConfigMapping, _ key: String) -> Duration? {
        guard let node = map[key], let value = node.duration(what: "'\(key)'") else { return nil }
        guard value > 0 else {
            node.error("'\(key)' must be greater than 0")
            return nil
        }
        return .seconds(value)
    }

    // MARK: Sections

    private func readDegradation(_ node: ConfigNode) -> DegradationConfig {
        var config = DegradationConfig()
        guard let map = node.mapping(what: "degradation", keys: ["levels", "fallback"]) else { return config }
        if let levelsNode = map.present("levels"), let items = levelsNode.sequence(what: "'degradation.levels'") {
            var levels: [DegradationLevel] = []
            for (index, item) in items.enumerated() {
                levels.append(readLevel(item, level: index + 1))
            }
            if levels.isEmpty { levelsNode.error("'degradation.levels' needs at least one level") } else { config.levels = levels }
        }
        if let fallbackNode = map.present("fallback") {
            config.fallback = readFallback(fallbackNode)
        }
        return config
    }

    private func readLevel(_ node: ConfigNode, level: Int) -> DegradationLevel {
        var rung = DegradationLevel()
        let what = "degradation level \(level)"
        guard let map = node.mapping(what: what, keys: ["max_tokens", "fallback", "shed", "answer", "description"]) else { return rung }
        if let tokensNode = map["max_tokens"], let value = tokensNode.int(what: "'max_tokens'") {
            if value >= 1 { rung.maxTokens = value } else { tokensNode.error("'max_tokens' must be at least 1, not \(value)") }
        }
        if let value = map.bool("fallback") { rung.fallback = value }
        if let shedNode = map["shed"] {
            var shed = ShedPolicy()
            if !shedNode.isNull, let shedMap = shedNode.mapping(what: "\(what) shed", keys: ["priority", "status", "retry_after"]) {
                if let values = shedMap.strings("priority") {
                    if values.isEmpty {
                        shedMap["priority"]?.error("'priority' needs at least one value, such as low")
                    } else {
                        shed.priorities = values
                    }
                }
                if let statusNode = shedMap["status"], let value = statusNode.int(what: "'status'") {
                    if [429, 503, 529].contains(value) {
                        shed.status = value
                    } else {
                        statusNode.error("'status' of shed requests must be 429, 503 or 529, not \(value)")
                    }
                }
                if let value = shedMap.duration("retry_after") { shed.retryAfter = .seconds(value) }
            }
            rung.shed = shed
        }
        if let answerNode = map["answer"] {
            var answer = AnswerPolicy()
            if !answerNode.isNull, let answerMap = answerNode.mapping(what: "\(what) answer", keys: ["cache", "stale", "template"]) {
                if let value = answerMap.bool("cache") { answer.cache = value }
                if let value = answerMap.bool("stale") { answer.stale = value }
                if let templateNode = answerMap.present("template"),
                    let templateMap = templateNode.mapping(what: "answer template", keys: ["status", "text"])
                {
                    var status = 200
                    if let statusNode = templateMap["status"], let value = statusNode.int(what: "'status'") {
                        if (200...599).contains(value) { status = value } else { statusNode.error("'status' must be an HTTP status, not \(value)") }
                    }
                    if let text = templateMap.require("text")?.string(what: "'text'") {
                        answer.template = TemplateAnswer(status: status, text: text)
                    }
                }
                if !answer.cache, answer.template == nil {
                    answerNode.error("an answer level needs the cache, a template, or both")
                }
            }
            rung.answer = answer
        }
        if rung.doesNothing { node.error("\(what) does nothing: give it max_tokens, fallback, shed or answer") }
        return rung
    }

    private func readFallback(_ node: ConfigNode) -> ModelFallbackMap {
        guard case .mapping(let raw) = node.node else {
            node.error("'fallback' must map model patterns to models, such as \"claude-opus-*\": claude-sonnet-4-5")
            return ModelFallbackMap()
        }
        var entries: [ModelFallback] = []
        var seen: Set<String> = []
        for (key, value) in raw {
            let keyNode = ConfigNode(node: key, file: file, issues: issues)
            let valueNode = ConfigNode(node: value, file: file, issues: issues)
            guard let pattern = keyNode.string(what: "a model pattern"), let model = valueNode.string(what: "a fallback model") else { continue }
            if pattern.isEmpty || model.isEmpty {
                keyNode.error("fallback patterns and models must not be empty")
                continue
            }
            if !seen.insert(pattern).inserted {
                keyNode.error("the model pattern '\(pattern)' is given twice")
                continue
            }
            entries.append(ModelFallback(pattern: pattern, model: model))
        }
        let map = ModelFallbackMap(entries)
        for entry in entries {
            if let looped = map.loop(from: entry.model) {
                node.error("the fallback map loops: following it from '\(entry.model)' comes back to '\(looped)'")
                break
            }
        }
        return map
    }

    private func readRouting(_ node: ConfigNode) -> RoutingConfig {
        var config = RoutingConfig()
        let keys: Set<String> = [
            "hold_down", "failback_step", "failback_interval", "max_hold_down", "capacity", "rate_window",
            "min_available_regions", "failback_when_short",
        ]
        guard let map = node.mapping(what: "routing", keys: keys) else { return config }
        if let failback = readFailback(
            node, keys: keys, holdDownKey: "hold_down", stepKey: "failback_step",
            intervalKey: "failback_interval", defaults: FailbackPolicy())
        {
            config.failback = failback
        }
        if let capacityNode = map.present("capacity"), case .mapping(let raw) = capacityNode.node {
            for (key, value) in raw {
                let keyNode = ConfigNode(node: key, file: file, issues: issues)
                let valueNode = ConfigNode(node: value, file: file, issues: issues)
                guard let region = keyNode.string(what: "a region"), let rate = valueNode.double(what: "a capacity (requests per second)") else { continue }
                if !context.regions.isEmpty, !context.regionNames.contains(region) {
                    keyNode.error("unknown region '\(region)' (known: \(context.regionNames.joined(separator: ", ")))")
                } else if rate <= 0 {
                    valueNode.error("a capacity is requests per second above 0, not \(rate)")
                } else {
                    config.capacity[region] = rate
                }
            }
        } else if let capacityNode = map.present("capacity") {
            capacityNode.error("'capacity' must map regions to requests per second, such as { secondary: 50 }")
        }
        if let value = positive(map, "rate_window") { config.rateWindow = value }
        if let countNode = map["min_available_regions"], let value = countNode.int(what: "'min_available_regions'") {
            if value >= 1 {
                config.minAvailableRegions = value
            } else {
                countNode.error("'min_available_regions' must be at least 1: Ballast never opens every circuit")
            }
        }
        if let modeNode = map["failback_when_short"], let mode = modeNode.string(what: "'failback_when_short'") {
            switch mode {
            case "immediate": config.failbackAtOnceWhenShort = true
            case "gradual": config.failbackAtOnceWhenShort = false
            default: modeNode.error("'failback_when_short' is immediate or gradual, not '\(mode)'")
            }
        }
        return config
    }
}
