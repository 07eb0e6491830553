extension RateLimitSettings {
    /// The JSON form, the shape a `rate_limit` section takes (every figure, so it reads back
    /// the same).
    public var json: String {
        "{\"scope\":\"\(scope.rawValue)\",\"requests_per_second\":\(FaultSettings.number(requestsPerSecond)),"
            + "\"burst\":\(FaultSettings.number(burst)),"
            + "\"input_tokens_per_minute\":\(FaultSettings.number(inputTokensPerMinute)),"
            + "\"input_tokens_burst\":\(FaultSettings.number(inputTokensBurst)),"
            + "\"output_tokens_per_minute\":\(FaultSettings.number(outputTokensPerMinute)),"
            + "\"output_tokens_burst\":\(FaultSettings.number(outputTokensBurst))}"
    }
}
