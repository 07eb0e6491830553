import BallastCore

/// Per-bucket counts over `LatencyBuckets` (not cumulative), so histograms of any two
/// windows merge by addition and a window's quantile is `LatencyBuckets.quantile`.
///
/// Stored in the rollup tables as compact text: the non-zero buckets as `index:count`,
/// ascending, comma-separated (`"11:3,12:5"`; `""` when empty). Most rollup rows hold few
/// samples in few buckets, so this is a fraction of the 168 bytes of a fixed array of
/// `Int64`s, and it stays readable in the `sqlite3` shell. Indexes refer to
/// `LatencyBuckets.bounds`; changing the bounds needs a migration.
public struct LatencyHistogram: Sendable, Hashable {
    public private(set) var counts: [Int]

    public init() {
        counts = Array(repeating: 0, count: LatencyBuckets.count)
    }

    /// A histogram from per-bucket counts (padded or truncated to `LatencyBuckets.count`).
    public init(counts: [Int]) {
        var padded = Array(counts.prefix(LatencyBuckets.count))
        if padded.count < LatencyBuckets.count {
            padded.append(contentsOf: repeatElement(0, count: LatencyBuckets.count - padded.count))
        }
        self.counts = padded
    }

    public var total: Int { counts.reduce(0, +) }

    public var isEmpty: Bool { counts.allSatisfy { $0 == 0 } }

    /// Counts one observation of `seconds`.
    public mutating func record(_ seconds: Double) {
        counts[LatencyBuckets.index(for: seconds)] += 1
    }

    public mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
    }

    /// The `q` quantile (0...1), interpolated inside its bucket; nil when empty.
    public func quantile(_ q: Double) -> Double? {
        LatencyBuckets.quantile(q, counts: counts)
    }

    // MARK: Text form

    /// The compact text form, e.g. `"11:3,12:5"`.
    public var encoded: String {
        var text = ""
        for (index, count) in counts.enumerated() where count != 0 {
            if !text.isEmpty { text += "," }
            text += String(index)
            text += ":"
            text += String(count)
        }
        return text
    }

    /// Parses the text form; nil when it is malformed (unknown bucket, bad number).
    public init?(encoded text: String) {
        var copy = text
        let parsed = copy.withUTF8 { bytes -> LatencyHistogram? in
            var histogram = LatencyHistogram()
            return histogram.merge(encoded: bytes) ? histogram : nil
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Adds the histogram encoded in `bytes` (UTF-8 of the text form) without allocating.
    /// Returns false, leaving the histogram partly merged, when the text is malformed.
    public mutating func merge(encoded bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        var value = 0
        var digits = 0
        var readingCount = false
        func finish() -> Bool {
            guard readingCount, digits > 0, index < counts.count else { return false }
            counts[index] += value
            return true
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = value &* 10 &+ Int(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 18 else { return false }
            case UInt8(ascii: ":"):
                guard !readingCount, digits > 0 else { return false }
                index = value
                readingCount = true
                value = 0
                digits = 0
            case UInt8(ascii: ","):
                guard finish() else { return false }
                readingCount = false
                value = 0
                digits = 0
            default:
                return false
            }
        }
        if bytes.isEmpty { return true }
        return finish()
    }
}
