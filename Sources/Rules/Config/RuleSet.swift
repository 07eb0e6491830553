public import BallastConfig

/// Every rule Ballast evaluates, read from all rule files at once.
///
/// Loading is all-or-nothing: `load` returns either a complete rule set or every problem of
/// every file (each with file:line:column), never a partial set, so a reload with any error
/// leaves the running rules as they are.
public struct RuleSet: Sendable {
    public var groups: [RuleGroup]
    public var degradation: DegradationConfig
    public var routing: RoutingConfig
    /// The configured regions, with capacities from `routing.capacity` applied.
    public var regions: [RuleRegion]
    /// The files the rules came from, in load order.
    public var files: [String]
    public var context: RuleContext

    public init(
        groups: [RuleGroup] = [], degradation: DegradationConfig = DegradationConfig(),
        routing: RoutingConfig = RoutingConfig(), context: RuleContext = RuleContext(), files: [String] = []
    ) {
        self.groups = groups
        self.degradation = degradation
        self.routing = routing
        self.context = context
        self.files = files
        regions = context.regions.map { region in
            var region = region
            if let capacity = routing.capacity[region.name] { region.capacity = capacity }
            return region
        }
    }

    /// A rule set without rules: what runs before the first successful load.
    public static func empty(context: RuleContext = RuleContext()) -> RuleSet { RuleSet(context: context) }

    public var rules: [Rule] { groups.flatMap(\.rules) }

    public func rule(_ key: RuleKey) -> Rule? {
        groups.first { $0.name == key.group }?.rules.first { $0.name == key.rule }
    }

    public func rule(named name: String) -> Rule? {
        rules.first { $0.name == name }
    }

    /// How often the caller should call `RuleEngine.evaluate`: the shortest group interval,
    /// at most one second (circuits and failback advance on every call).
    public var tickInterval: Duration {
        min(groups.map(\.interval).min() ?? .seconds(1), .seconds(1))
    }

    /// The region's capacity in requests per second, if known.
    public func capacity(of region: String) -> Double? {
        regions.first { $0.name == region }?.capacity
    }

    // MARK: Loading

    /// Reads the files named by `paths` (globs are expanded; a glob matching nothing is fine).
    public static func load(paths: [String], context: RuleContext = RuleContext()) -> Result<RuleSet, ConfigError> {
        var sources: [RuleSource] = []
        var unreadable: [ConfigIssue] = []
        for path in RuleFiles.expand(paths) {
            do {
                sources.append(RuleSource(path: path, text: try ConfigFile.read(path: path)))
            } catch {
                unreadable.append(contentsOf: error.issues)
            }
        }
        let parsed = parse(sources, context: context)
        guard !unreadable.isEmpty else { return parsed }
        switch parsed {
        case .success: return .failure(ConfigError(unreadable))
        case .failure(let error): return .failure(ConfigError(unreadable + error.issues))
        }
    }

    /// Parses one rule file's text.
    public static func parse(_ text: String, file: String, context: RuleContext = RuleContext()) -> Result<RuleSet, ConfigError> {
        parse([RuleSource(path: file, text: text)], context: context)
    }

    /// Parses rule files given as text, checking them together (names unique across files,
    /// one `degradation:` and one `routing:` section at most).
    public static func parse(_ sources: [RuleSource], context: RuleContext = RuleContext()) -> Result<RuleSet, ConfigError> {
        let issues = ConfigIssues()
        var nextID = 0
        var groups: [RuleGroup] = []
        var degradation: (config: DegradationConfig, location: SourceLocation)?
        var routing: (config: RoutingConfig, location: SourceLocation)?
        var groupNames: [String: SourceLocation] = [:]
        var ruleNames: [String: SourceLocation] = [:]
        var degradeLevels: [(level: Int, location: SourceLocation)] = []
        for source in sources {
            guard let root = ConfigNode.parse(source.text, file: source.path, issues: issues) else { continue }
            var reader = RuleFileReader(file: source.path, text: source.text, issues: issues, context: context, nextID: nextID)
            let contents = reader.read(root)
            nextID = reader.nextID
            groups.append(contentsOf: contents.groups)
            for (name, location) in contents.groupNames {
                if let first = groupNames[name] {
                    issues.add(location, "duplicate group name '\(name)' (first defined at \(first))")
                } else {
                    groupNames[name] = location
                }
            }
            for (name, location) in contents.ruleNames {
                if let first = ruleNames[name] {
                    issues.add(location, "duplicate rule name '\(name)' (first defined at \(first)); rule names are unique across all rule files")
                } else {
                    ruleNames[name] = location
                }
            }
            if let section = contents.degradation {
                if let first = degradation {
                    issues.add(section.location, "'degradation' is already defined at \(first.location); define it in one file")
                } else {
                    degradation = section
                }
            }
            if let section = contents.routing {
                if let first = routing {
                    issues.add(section.location, "'routing' is already defined at \(first.location); define it in one file")
                } else {
                    routing = section
                }
            }
            degradeLevels.append(contentsOf: contents.degradeLevels)
        }
        let ladder = degradation?.config ?? DegradationConfig()
        for (level, location) in degradeLevels where level > ladder.maxLevel {
            issues.add(location, "'degrade: \(level)' is beyond the degradation ladder, which has \(ladder.maxLevel) levels")
        }
        let routingConfig = routing?.config ?? RoutingConfig()
        if !context.regions.isEmpty, routingConfig.minAvailableRegions > context.regions.count, let location = routing?.location {
            issues.add(location, "'min_available_regions' (\(routingConfig.minAvailableRegions)) exceeds the \(context.regions.count) configured regions")
        }
        guard issues.isEmpty else { return .failure(sorted(issues.all, files: sources.map(\.path))) }
        return .success(
            RuleSet(
                groups: groups, degradation: ladder, routing: routingConfig, context: context,
                files: sources.map(\.path)))
    }

    /// Issues in file order, then by position, so the list reads like the files.
    static func sorted(_ issues: [ConfigIssue], files: [String]) -> ConfigError {
        let order = Dictionary(files.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let sorted = issues.enumerated().sorted { a, b in
            let left = (order[a.element.location.file] ?? Int.max, a.element.location.line, a.element.location.column, a.offset)
            let right = (order[b.element.location.file] ?? Int.max, b.element.location.line, b.element.location.column, b.offset)
            return left < right
        }
        return ConfigError(sorted.map(\.element))
    }
}
