extension RFC3339 {
    /// `YYYY-MM-DD` of the first day of the month after the one `epochSeconds` falls in (UTC):
    /// when a monthly spend limit lets a workspace back in.
    static func startOfNextMonth(epochSeconds: Double) -> String {
        let seconds = Int64(epochSeconds.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let (year, month, _) = civil(days: days)
        let next = month == 12 ? (year + 1, Int64(1)) : (year, month + 1)
        return "\(pad(next.0, 4))-\(pad(next.1, 2))-01"
    }
}
