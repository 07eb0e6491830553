import BallastConfig
import BallastCore
import Cache
import Foundation
@testable import Gateway
import Testing
@testable import JSON
@testable import RulesRuntime
import Rules

/// The migration step as pure functions: canary schedules on a manual clock, sticky
/// assignment, the deprecation guard and pinned headers.
@Suite struct MigrationRoutingTests {
    static let canary = CanaryConfig(
        name: "next", from: CanarySide(model: "claude-sonnet-4-5"), to: CanarySide(model: "claude-sonnet-4-6"),
        steps: [0.05, 0.25, 1], minStepTime: 60)

    @Test func theScheduleAdvancesStepByStepOnlyWhenDueAndUnheld() {
        var state = CanaryState(config: Self.canary, origin: "config", wall: 1000)
        #expect(state.share == 0.05)
        #expect(state.tick(at: 1059, ruleHolds: false, ruleAdvance: false) == nil, "not before min_step_time")
        #expect(state.tick(at: 1060, ruleHolds: true, ruleAdvance: false) == nil, "a firing hold rule holds")
        #expect(state.tick(at: 1060, ruleHolds: false, ruleAdvance: false) == "running at 25% (step 2 of 3)")
        #expect(state.tick(at: 1100, ruleHolds: false, ruleAdvance: false) == nil, "the clock restarts at each step")
        #expect(state.tick(at: 1120, ruleHolds: false, ruleAdvance: false) == "running at 100% (step 3 of 3)")
        #expect(state.tick(at: 1180, ruleHolds: false, ruleAdvance: false) == "finished (100%)")
        #expect(state.phase == .finished && state.share == 1)
        #expect(state.tick(at: 9999, ruleHolds: false, ruleAdvance: false) == nil)
    }

    @Test func withoutAutoAdvanceARuleOrOperatorMovesIt() {
        var config = Self.canary
        config.autoAdvance = false
        var state = CanaryState(config: config, origin: "config", wall: 0)
        #expect(state.tick(at: 500, ruleHolds: false, ruleAdvance: false) == nil)
        #expect(state.tick(at: 500, ruleHolds: false, ruleAdvance: true) != nil)
        #expect(state.advance(at: 501) == "running at 100% (step 3 of 3)", "an operator's advance ignores the time")
    }

    @Test func aRollbackNeedsAResumeAndRestartsFromTheFirstStep() {
        var state = CanaryState(config: Self.canary, origin: "config", wall: 0)
        _ = state.advance(at: 1)
        #expect(state.rollback(at: 2) == "rolled back (0%)")
        #expect(state.share == 0)
        #expect(state.tick(at: 10_000, ruleHolds: false, ruleAdvance: true) == nil, "nothing moves a rolled-back canary but an operator")
        #expect(state.advance(at: 3) == nil && state.hold(at: 3) == nil)
        #expect(state.resume(at: 4) == "running at 5% (step 1 of 3)")
        #expect(state.hold(at: 5) == "held at 5% (step 1 of 3)")
        #expect(state.tick(at: 10_000, ruleHolds: false, ruleAdvance: false) == nil, "held")
        #expect(state.resume(at: 6) != nil && state.finish(at: 7) == "finished (100%)")
    }

    @Test func assignmentIsStickyAndMonotone() {
        var onNew: [Double: Set<Int>] = [:]
        for share in [0.01, 0.05, 0.25, 0.5, 1.0] {
            for conversation in 0..<2000 {
                let bucket = CanaryBucket.of(canary: "next", value: "h:conv-\(conversation)")
                #expect(bucket == CanaryBucket.of(canary: "next", value: "h:conv-\(conversation)"))
                if CanaryBucket.isNew(bucket: bucket, share: share) { onNew[share, default: []].insert(conversation) }
            }
        }
        #expect(
            onNew[0.01]!.isSubset(of: onNew[0.05]!) && onNew[0.05]!.isSubset(of: onNew[0.25]!), "a conversation on the new side stays there as the share grows")
        #expect(onNew[1.0]!.count == 2000)
        #expect((60...140).contains(onNew[0.05]!.count), "about 5% of 2000: \(onNew[0.05]!.count)")
        #expect((440...560).contains(onNew[0.25]!.count), "about 25% of 2000: \(onNew[0.25]!.count)")
    }

    func route(
        _ config: MigrationsConfig, canaries: [CanaryState] = [], model: String, headers: HTTPHeaders = [:],
        version: String = "2023-06-01", now: Double = 1_800_000_000
    ) -> (MigrationOutcome, HTTPHeaders, String) {
        var upstream: HTTPHeaders = ["anthropic-version": version]
        var body = Array(#"{"model":"\#(model)","max_tokens":8,"messages":[{"role":"user","content":"hello"}]}"#.utf8)
        let outcome = MigrationRouter(config: config).route(
            model: model, clientHeaders: headers, upstreamHeaders: &upstream,
            body: &body, canaries: canaries, wall: now)
        let sentModel = (try? JSONParser.parse(body))?["model"]?.stringValue ?? "?"
        return (outcome, upstream, sentModel)
    }

    @Test func theCanarySideRewritesTheModelAndSaysSo() {
        var state = CanaryState(config: Self.canary, origin: "config", wall: 0)
        _ = state.finish(at: 1)
        let (outcome, _, sent) = route(MigrationsConfig(canaries: [Self.canary]), canaries: [state], model: "claude-sonnet-4-5")
        #expect(sent == "claude-sonnet-4-6" && outcome.model == "claude-sonnet-4-6")
        #expect(outcome.canary == CanaryTag(canary: "next", side: .new))
        #expect(outcome.responseHeaders.contains { $0.name == "x-ballast-canary" && $0.value == "next" })
        let (other, _, untouched) = route(MigrationsConfig(canaries: [Self.canary]), canaries: [state], model: "claude-haiku-4-5")
        #expect(untouched == "claude-haiku-4-5" && other.canary == nil, "other models are not part of the canary")
        _ = state.rollback(at: 2)
        _ = state.resume(at: 3)
        _ = state.rollback(at: 4)
        let (old, _, kept) = route(MigrationsConfig(canaries: [Self.canary]), canaries: [state], model: "claude-sonnet-4-5")
        #expect(kept == "claude-sonnet-4-5" && old.canary == CanaryTag(canary: "next", side: .old) && old.responseHeaders.isEmpty)
    }

    @Test func aRetiringModelGoesToItsSuccessor() {
        let retires = CalendarDate.midnight("2026-01-05")!
        let config = MigrationsConfig(
            deprecated: [
                DeprecatedModel(
                    model: "old-model", retires: "2026-01-05", retiresAt: retires,
                    successor: "new-model")
            ], routeWithinDays: 7)
        let (before, _, early) = route(config, model: "old-model", now: retires - 8 * 86_400)
        #expect(early == "old-model" && before.deprecated == nil)
        let (within, _, moved) = route(config, model: "old-model", now: retires - 6 * 86_400)
        #expect(moved == "new-model" && within.deprecated?.successor == "new-model")
        #expect(within.responseHeaders.contains { $0.name == "x-ballast-deprecated" && $0.value == "old-model retires 2026-01-05; sent to new-model" })
        let (after, _, _) = route(config, model: "old-model", now: retires + 1)
        #expect(after.responseHeaders.first?.value.contains("retired 2026-01-05") == true)
    }

    @Test func pinsOverrideOrFillPerModelAndKeyGroup() {
        let batchKey = "sk-batch-client"
        let config = MigrationsConfig(
            keyGroups: ["batch": [KeyFingerprint.of(batchKey)]],
            pin: [
                PinRule(model: "claude-opus-*", keyGroup: "batch", anthropicBeta: ["long-context"]),
                PinRule(model: "claude-opus-*", anthropicVersion: "2024-01-01", mode: .override),
                PinRule(model: "*", anthropicBeta: ["tools"], mode: .fill),
            ])
        let (_, batch, _) = route(config, model: "claude-opus-4-1", headers: ["x-api-key": batchKey])
        #expect(batch["anthropic-beta"] == "long-context" && batch["anthropic-version"] == "2023-06-01")
        let (_, others, _) = route(config, model: "claude-opus-4-1", headers: ["x-api-key": "sk-someone-else"])
        #expect(others["anthropic-version"] == "2024-01-01" && others["anthropic-beta"] == nil)
        let (_, haiku, _) = route(config, model: "claude-haiku-4-5")
        #expect(haiku["anthropic-beta"] == "tools", "fill sets what the client did not send")
        #expect(KeyFingerprint.of(batchKey).count == 16 && !KeyFingerprint.of(batchKey).contains("batch"))
    }
}
