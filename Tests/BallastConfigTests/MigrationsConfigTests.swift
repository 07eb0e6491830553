import BallastConfig
import Testing

/// `migrations`: pins, canaries and deprecations read, and every mistake named at its place.
@Suite struct MigrationsConfigTests {
    @Test func aFullSectionReads() throws {
        let config = try GatewayConfig.parse(
            minimalRegions + """

                migrations:
                  key_groups:
                    batch: ["0123456789abcdef"]
                  pin:
                    - { model: "claude-opus-*", key_group: batch, anthropic_version: "2023-06-01", anthropic_beta: [a, b] }
                    - { anthropic_beta: [], mode: fill }
                  canaries:
                    - name: sonnet-next
                      from: { model: "claude-sonnet-4-5*" }
                      to: { model: claude-sonnet-4-6, anthropic_version: "2023-06-01" }
                      steps: [1%, 10%, 100%]
                      min_step_time: 5m
                      sticky_by: [header:X-Conversation, api_key]
                      auto_advance: false
                  deprecations:
                    route_within_days: 14
                    models:
                      - { model: claude-3-opus-20240229, retires: 2026-01-05, successor: claude-opus-4-1 }
                """, file: "ballast.yaml")
        let migrations = config.migrations
        #expect(migrations.keyGroups == ["batch": ["0123456789abcdef"]])
        #expect(migrations.pin.count == 2)
        #expect(
            migrations.pin[0]
                == PinRule(
                    model: "claude-opus-*", keyGroup: "batch", anthropicVersion: "2023-06-01",
                    anthropicBeta: ["a", "b"], mode: .override))
        #expect(migrations.pin[1].mode == .fill && migrations.pin[1].anthropicBeta == [])
        let canary = try #require(migrations.canaries.first)
        #expect(canary.name == "sonnet-next")
        #expect(canary.from == CanarySide(model: "claude-sonnet-4-5*"))
        #expect(canary.to == CanarySide(model: "claude-sonnet-4-6", anthropicVersion: "2023-06-01"))
        #expect(canary.steps == [0.01, 0.1, 1])
        #expect(canary.minStepTime == 300 && !canary.autoAdvance)
        #expect(canary.stickyBy == [.header("x-conversation"), .apiKey])
        #expect(migrations.routeWithinDays == 14)
        #expect(
            migrations.deprecated == [
                DeprecatedModel(
                    model: "claude-3-opus-20240229", retires: "2026-01-05",
                    retiresAt: 1_767_571_200, successor: "claude-opus-4-1")
            ])
    }

    @Test func everyMistakeIsNamedAtItsPlace() {
        let issues = configIssues(
            minimalRegions + """

                migrations:
                  key_groups: { batch: [not-a-fingerprint] }
                  pin:
                    - { model: "*", key_group: nobody, anthropic_version: "June" }
                    - { model: "*" }
                  canaries:
                    - name: Bad Name
                      from: { model: x }
                      to: { model: "claude-*" }
                      steps: [50%, 10%]
                    - name: ok
                      from: {}
                      to: { model: y }
                      sticky_by: [cookie]
                  deprecations:
                    models:
                      - { model: a, retires: "2026-02-30", successor: b }
                      - { model: c, retires: "2026-01-01", successor: c }
                """)
        let messages = issues.map(\.message)
        #expect(
            positions(issues) == ["5:24", "7:32", "7:59", "8:7", "10:13", "12:20", "13:14", "15:13", "17:18", "20:30", "21:9"],
            "\(issues.map { "\($0.location.line):\($0.location.column) \($0.message)" }.joined(separator: "\n"))")
        #expect(messages.contains { $0.contains("not a key fingerprint") })
        #expect(messages.contains { $0.contains("unknown key group 'nobody'") })
        #expect(messages.contains { $0.contains("pins nothing") })
        #expect(messages.contains { $0.contains("must rise") })
        #expect(messages.contains { $0.contains("must be one model, not a pattern") })
        #expect(messages.contains { $0.contains("sticky_by") })
        #expect(messages.contains { $0.contains("2026-02-30") })
        #expect(messages.contains { $0.contains("cannot succeed itself") })
    }

    @Test func calendarDatesAreUTCMidnights() {
        #expect(CalendarDate.midnight("1970-01-01") == 0)
        #expect(CalendarDate.midnight("2000-03-01") == 951_868_800)
        #expect(CalendarDate.midnight("2024-02-29") == 1_709_164_800)
        #expect(CalendarDate.midnight("2023-02-29") == nil)
        #expect(CalendarDate.midnight("2024-13-01") == nil)
        #expect(CalendarDate.midnight("24-01-01") == nil)
    }
}
