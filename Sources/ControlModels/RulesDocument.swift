/// `GET /control/v1/rules`: every loaded rule with its state and its alerts, and the last reload.
package struct RulesDocument: Codable, Sendable, Equatable {
    package var rules: [Rule]
    package var files: [String]
    @Nullable package var lastReloadAt: Double?
    @Nullable package var lastReloadError: String?

    package struct Rule: Codable, Sendable, Equatable {
        package var group: String
        package var name: String
        package var intervalSeconds: Double
        /// The expression as written.
        package var when: String
        package var forSeconds: Double
        @Nullable package var action: String?
        /// `firing`, `pending` or `inactive`.
        package var state: String
        package var instances: [Alert]
        /// What the expression evaluated to at the last tick, explained.
        @Nullable package var lastValues: String?
        /// `file:line:column`.
        package var source: String

        package init(
            group: String, name: String, intervalSeconds: Double, when: String, forSeconds: Double, action: String?, state: String,
            instances: [Alert], lastValues: String?, source: String
        ) {
            self.group = group
            self.name = name
            self.intervalSeconds = intervalSeconds
            self.when = when
            self.forSeconds = forSeconds
            self.action = action
            self.state = state
            self.instances = instances
            self.lastValues = lastValues
            self.source = source
        }

        enum CodingKeys: String, CodingKey {
            case group, name, when, action, state, instances, source
            case intervalSeconds = "interval_seconds"
            case forSeconds = "for_seconds"
            case lastValues = "last_values"
        }
    }

    /// One labelled instance of a rule's alert.
    package struct Alert: Codable, Sendable, Equatable {
        package var labels: String
        package var phase: String
        @Nullable package var activeForSeconds: Double?

        package init(labels: String, phase: String, activeForSeconds: Double?) {
            self.labels = labels
            self.phase = phase
            self.activeForSeconds = activeForSeconds
        }

        enum CodingKeys: String, CodingKey {
            case labels, phase
            case activeForSeconds = "active_for_seconds"
        }
    }

    package init(rules: [Rule], files: [String], lastReloadAt: Double?, lastReloadError: String?) {
        self.rules = rules
        self.files = files
        self.lastReloadAt = lastReloadAt
        self.lastReloadError = lastReloadError
    }

    enum CodingKeys: String, CodingKey {
        case rules, files
        case lastReloadAt = "last_reload_at"
        case lastReloadError = "last_reload_error"
    }
}
