import BallastConfig
import BallastCore

/// Runs rule test files: feeds each test's series into an `InMemoryWindowSource`, steps the
/// engine from time 0 at the evaluation interval (exactly as the gateway's loop would, with
/// the clock replaced by the tick count) and checks the expectations. `ballast rules test`
/// prints its report; `make test` runs the shipped tests through the unit tests.
public enum RuleTestRunner {
    /// Runs every file (globs expanded) and reports as `ballast rules test` prints.
    public static func run(paths: [String]) -> CommandReport {
        let files = RuleFiles.expand(paths)
        guard !files.isEmpty else { return CommandReport(exitStatus: 1, text: "no test files given or matched\n") }
        var text = ""
        var passed = 0
        var failed = 0
        var broken = 0
        for path in files {
            let result = run(file: path)
            text += result.text
            passed += result.passed
            failed += result.failed
            if result.fileErrors { broken += 1 }
        }
        let ok = failed == 0 && broken == 0
        text +=
            ok
            ? "SUCCESS: \(passed) tests passed\n"
            : "FAILED: \(failed) of \(passed + failed) tests failed" + (broken > 0 ? ", \(broken) files could not be run" : "") + "\n"
        return CommandReport(exitStatus: ok ? 0 : 1, text: text)
    }

    public static func run(file path: String) -> RuleTestFileResult {
        var result = RuleTestFileResult(passed: 0, failed: 0, fileErrors: false, text: "\(path)\n", tests: [])
        let testFile: RuleTestFile
        switch RuleTestFile.load(path: path) {
        case .failure(let error):
            result.fileErrors = true
            result.text += error.issues.map { "  \($0)\n" }.joined()
            return result
        case .success(let parsed):
            testFile = parsed
        }
        let context = RuleContext(regions: testFile.regions ?? derivedRegions(testFile))
        let ruleSet: RuleSet
        switch RuleSet.load(paths: testFile.ruleFiles, context: context) {
        case .failure(let error):
            result.fileErrors = true
            result.text += error.issues.map { "  \($0)\n" }.joined()
            return result
        case .success(let loaded):
            ruleSet = loaded
        }
        if ruleSet.files.isEmpty {
            result.fileErrors = true
            result.text += "  \(path): rule_files matched no file\n"
            return result
        }
        for test in testFile.tests {
            let failures = run(test, ruleSet: ruleSet, interval: testFile.interval)
            result.tests.append((test.name, failures))
            if failures.isEmpty {
                result.passed += 1
                result.text += "  ok    \(test.name)\n"
            } else {
                result.failed += 1
                result.text += "  FAIL  \(test.name) (\(test.location))\n"
                result.text += failures.map { "        \($0)\n" }.joined()
            }
        }
        return result
    }

    /// Runs one test; returns its failures (empty when it passed).
    public static func run(_ test: RuleTestCase, ruleSet: RuleSet, interval span: Duration) -> [String] {
        let interval = span.seconds  // the test's timeline is wall seconds, as the windows' samples are
        var source = InMemoryWindowSource(regions: ruleSet.regions.map(\.name))
        var failures: [String] = []
        for series in test.series {
            for second in 0..<series.length {
                switch series.sample(second) {
                case .success(let sample): source.add(sample, second: second, labels: series.labels, level: series.level, canary: series.canary)
                case .failure(let error): failures.append("\(series.location): \(error.message)")
                }
            }
        }
        guard failures.isEmpty, let last = test.expectations.last else { return failures }
        var state = RuleEngineState()
        var events: [(time: Double, summary: String)] = []
        var tick = 0
        var checked = 0
        var previousAt = -Double.infinity
        while checked < test.expectations.count {
            let time = Double(tick) * interval
            if time > last.at + 1e-6 { break }
            let evaluation = RuleEngine.evaluate(
                ruleSet, state: state, source: source, now: RuleTime(seconds: time),
                capacity: test.capacity.shortage(at: time, regions: ruleSet.regions.map(\.name)))
            state = evaluation.state
            events.append(contentsOf: evaluation.changes.map { (time, $0.summary) })
            while checked < test.expectations.count, abs(test.expectations[checked].at - time) < interval / 2 {
                let expectation = test.expectations[checked]
                let since = events.filter { $0.time > previousAt + 1e-9 && $0.time <= time + 1e-9 }
                failures.append(contentsOf: check(expectation, state: state, events: since.map(\.summary), at: time))
                previousAt = time
                checked += 1
            }
            tick += 1
        }
        return failures
    }

    private static func check(_ expectation: RuleTestExpectation, state: RuleEngineState, events: [String], at time: Double) -> [String] {
        var failures: [String] = []
        let when = "at \(seconds(time))"
        if let expected = expectation.firing {
            let actual = state.firing.map(\.description)
            if Set(expected) != Set(actual) { failures.append("\(when): firing: expected \(show(expected)), got \(show(actual))") }
        }
        if let expected = expectation.pending {
            let actual = state.pending.map(\.description)
            if Set(expected) != Set(actual) { failures.append("\(when): pending: expected \(show(expected)), got \(show(actual))") }
        }
        for (target, expected) in expectation.circuits {
            let actual = state.circuitState(target)
            if actual != expected { failures.append("\(when): circuit \(target): expected \(expected.rawValue), got \(actual.rawValue)") }
        }
        if let expected = expectation.degradation, expected != state.degradationLevel {
            failures.append("\(when): degradation: expected level \(expected), got \(state.degradationLevel)")
        }
        if let expected = expectation.weights {
            let actual = state.weights
            for (region, weight) in expected.sorted(by: { $0.key < $1.key }) where actual[region] != weight {
                failures.append(
                    "\(when): weight of \(region): expected \(weight), got \(actual[region].map(String.init) ?? "none") (weights: \(showWeights(actual)))")
            }
        }
        for (region, expected) in expectation.routes.sorted(by: { $0.key < $1.key }) {
            let actual = state.routing.phase(region, at: RuleTime(seconds: time).monotonic)?.rawValue ?? "normal"
            if actual != expected { failures.append("\(when): route of \(region): expected \(expected), got \(actual)") }
        }
        if let expected = expectation.events, expected != events {
            failures.append("\(when): events: expected \(show(expected)), got \(show(events))")
        }
        if !failures.isEmpty, expectation.events == nil, !events.isEmpty {
            failures.append("\(when): (events since the previous check: \(show(events)))")
        }
        return failures
    }

    /// `63s`, `76.5s`: test times as the test file's `at:` values would read in seconds.
    static func seconds(_ time: Double) -> String {
        (time == time.rounded() ? String(Int(time)) : String((time * 1000).rounded() / 1000)) + "s"
    }

    private static func show(_ list: [String]) -> String { "[" + list.joined(separator: ", ") + "]" }

    private static func showWeights(_ weights: [String: Int]) -> String {
        weights.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// Regions named in the series, each with weight 100, when the test file lists none.
    private static func derivedRegions(_ file: RuleTestFile) -> [RuleRegion] {
        var names: [String] = []
        for test in file.tests {
            for series in test.series {
                if let region = series.labels.region, !names.contains(region) { names.append(region) }
            }
        }
        return names.map { RuleRegion(name: $0, weight: 100) }
    }
}
