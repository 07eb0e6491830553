import BallastCore

/// Parses sizes written in config files: `32MB`, `512KiB`, `1.5GB`, `1048576`.
///
/// KB/MB/GB are decimal (1000-based) and KiB/MiB/GiB binary (1024-based), as their names
/// say; units are case-insensitive so `32mb` means the same as `32MB`.
public enum ByteSize {
    /// The size in bytes (fractions rounded down), or nil when `text` is not a size.
    public static func bytes(_ text: String) -> Int? {
        let trimmed = text.trimmingSpaces()
        let unitStart = trimmed.firstIndex(where: { $0.isLetter }) ?? trimmed.endIndex
        let numberText = trimmed[..<unitStart].trimmingSuffixSpaces()
        let unit = trimmed[unitStart...].lowercased()
        let scale: Double
        switch unit {
        case "", "b": scale = 1
        case "kb": scale = 1_000
        case "mb": scale = 1_000_000
        case "gb": scale = 1_000_000_000
        case "kib": scale = 1_024
        case "mib": scale = 1_048_576
        case "gib": scale = 1_073_741_824
        default: return nil
        }
        guard !numberText.isEmpty, numberText.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let value = Double(numberText), value.isFinite
        else { return nil }
        // Whole bytes only: `1.5B` is a typo, not half a byte.
        if scale == 1, numberText.contains(".") { return nil }
        let bytes = (value * scale).rounded(.down)
        guard bytes < Double(Int.max) else { return nil }
        return Int(bytes)
    }

    /// A short human form for messages: `32MB`, `512KiB`, `100B`.
    public static func format(_ bytes: Int) -> String {
        let units: [(String, Int)] = [
            ("GiB", 1_073_741_824), ("GB", 1_000_000_000), ("MiB", 1_048_576), ("MB", 1_000_000),
            ("KiB", 1_024), ("KB", 1_000),
        ]
        for (name, scale) in units where bytes >= scale && bytes % scale == 0 {
            return "\(bytes / scale)\(name)"
        }
        return "\(bytes)B"
    }
}

extension Substring {
    fileprivate func trimmingSuffixSpaces() -> Substring {
        var s = self
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}

extension ConfigNode {
    /// A size in bytes, such as `32MB` or `512KiB`; a plain integer means bytes.
    public func byteSize(what: String = "size") -> Int? {
        guard let text = scalarText(what: what) else { return nil }
        guard let bytes = ByteSize.bytes(text) else {
            error("\(what) must be a size such as 512KB, 32MB or 1GiB (units B, KB, MB, GB, KiB, MiB, GiB), not '\(text)'")
            return nil
        }
        return bytes
    }
}
