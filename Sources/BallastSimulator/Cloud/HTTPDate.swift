import CloudRegions

/// RFC 7231's IMF-fixdate (`Tue, 14 Nov 2023 22:13:20 GMT`), the form of a `Date` header.
enum HTTPDate {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(unixSeconds: Double) -> String {
        let stamp = Array(AWSTimestamp(unixSeconds: unixSeconds).dateTime)  // YYYYMMDDTHHMMSSZ
        let days = Int((unixSeconds / 86_400).rounded(.down))
        let weekday = weekdays[((days % 7) + 7) % 7]
        let month = months[(Int(String(stamp[4..<6])) ?? 1) - 1]
        return "\(weekday), \(String(stamp[6..<8])) \(month) \(String(stamp[0..<4])) "
            + "\(String(stamp[9..<11])):\(String(stamp[11..<13])):\(String(stamp[13..<15])) GMT"
    }
}
