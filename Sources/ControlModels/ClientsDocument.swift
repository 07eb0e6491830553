/// `GET /control/v1/clients`: every configured client key by name, with its limits, what it
/// used through this instance and what is left. Never the key or its hash.
package struct ClientsDocument: Codable, Sendable, Equatable {
    /// False when Ballast runs without client keys.
    package var enabled: Bool
    package var clients: [Client]

    package struct Client: Codable, Sendable, Equatable {
        package var name: String
        package var limits: Limits
        package var models: [String]
        package var requests: Int
        package var inputTokens: Int
        package var outputTokens: Int
        /// Refused requests per reason.
        package var refusals: [String: Int]
        /// What is left of each bucket, by dimension.
        package var remaining: [String: Int]
        package var spentTodayTokens: Int
        /// Absent without a daily budget.
        package var budgetRemainingTokens: Int?
        /// RFC 3339; absent without a daily budget.
        package var budgetResetsAt: String?

        package init(
            name: String, limits: Limits, models: [String], requests: Int, inputTokens: Int, outputTokens: Int, refusals: [String: Int],
            remaining: [String: Int], spentTodayTokens: Int, budgetRemainingTokens: Int?, budgetResetsAt: String?
        ) {
            self.name = name
            self.limits = limits
            self.models = models
            self.requests = requests
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.refusals = refusals
            self.remaining = remaining
            self.spentTodayTokens = spentTodayTokens
            self.budgetRemainingTokens = budgetRemainingTokens
            self.budgetResetsAt = budgetResetsAt
        }

        enum CodingKeys: String, CodingKey {
            case name, limits, models, requests, refusals, remaining
            case inputTokens = "input_tokens"
            case outputTokens = "output_tokens"
            case spentTodayTokens = "spent_today_tokens"
            case budgetRemainingTokens = "budget_remaining_tokens"
            case budgetResetsAt = "budget_resets_at"
        }
    }

    /// A key's configured limits; a limit not configured is absent.
    package struct Limits: Codable, Sendable, Equatable {
        package var requestsPerMinute: Int?
        package var inputTokensPerMinute: Int?
        package var outputTokensPerMinute: Int?
        package var tokensPerDay: Int?

        package init(requestsPerMinute: Int?, inputTokensPerMinute: Int?, outputTokensPerMinute: Int?, tokensPerDay: Int?) {
            self.requestsPerMinute = requestsPerMinute
            self.inputTokensPerMinute = inputTokensPerMinute
            self.outputTokensPerMinute = outputTokensPerMinute
            self.tokensPerDay = tokensPerDay
        }

        enum CodingKeys: String, CodingKey {
            case requestsPerMinute = "requests_per_minute"
            case inputTokensPerMinute = "input_tokens_per_minute"
            case outputTokensPerMinute = "output_tokens_per_minute"
            case tokensPerDay = "tokens_per_day"
        }
    }

    package init(enabled: Bool, clients: [Client]) {
        self.enabled = enabled
        self.clients = clients
    }
}
