/// Formats Unix times as RFC 3339 UTC (`2025-01-31T12:00:05Z`), the form of the
/// `anthropic-ratelimit-*-reset` headers, without Foundation's date machinery.
enum RFC3339 {
    /// Rounds up to the whole second, so a reset time is never earlier than the truth.
    static func format(epochSeconds: Double) -> String {
        let total = Int64(epochSeconds.rounded(.up))
        let days = total >= 0 ? total / 86400 : (total - 86399) / 86400
        let secondOfDay = total - days * 86400
        let (year, month, day) = civil(days: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }

    /// Year, month (1–12) and day (1–31) of a day counted from 1970-01-01 (Howard Hinnant's
    /// civil_from_days).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

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
