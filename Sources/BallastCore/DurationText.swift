/// Parses and prints human durations as used in config and rule files: `250ms`, `2s`, `1.5s`,
/// `10m`, `1h`, `1d`, and combinations such as `1m30s`.
public enum DurationText {
    /// The duration in seconds, or nil when `text` is not a duration.
    public static func seconds(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        var unit = ""
        var sawAny = false
        func flush() -> Bool {
            guard !number.isEmpty, let value = Double(number) else { return false }
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86400
            default: return false
            }
            total += value * scale
            number = ""
            unit = ""
            sawAny = true
            return true
        }
        for ch in text.trimmingSpaces() {
            if ch.isNumber || ch == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(ch)
            } else if ch.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(ch)
            } else {
                return nil
            }
        }
        guard flush(), sawAny, total.isFinite else { return nil }
        return total
    }

    /// A short human form: `250ms`, `2s`, `1.5s`, `10m`, `2h`.
    public static func format(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 { return trim(seconds) + "s" }
        if seconds < 3600 { return trim(seconds / 60) + "m" }
        return trim(seconds / 3600) + "h"
    }

    private static func trim(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String((value * 10).rounded() / 10)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs (Foundation-free).
    public func trimmingSpaces() -> Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s.removeLast() }
        return s
    }
}

extension Duration {
    /// The duration as seconds, the unit the policies and the C libraries take: config values
    /// are `Duration`s and become `Double` seconds where they are used.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
