extension FaultSettings {
    /// The JSON form, the same shape `PUT /_sim/faults` takes.
    public var json: String {
        let ratios = errorRatios.keys.sorted().map { "\"\($0)\":\(Self.number(errorRatios[$0] ?? 0))" }
        // Without its own rate limit the region takes the organisation's: no key, as in the YAML.
        let limit = rateLimit.map { "\"rate_limit\":\($0.json)," } ?? ""
        return "{\(limit)\"error_ratio\":{\(ratios.joined(separator: ","))},\"reset_ratio\":\(Self.number(resetRatio)),"
            + "\"stream_error_ratio\":\(Self.number(streamErrorRatio)),\"outage\":\(outage),"
            + "\"refuse_connections\":\(refuseConnections)}"
    }

    /// Whole numbers without a fraction, others as Swift prints them (valid JSON for finite values).
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.isFinite ? "\(value)" : "0"
    }
}
