public import Logging
#if canImport(Glibc)
import Glibc
import JSON
#endif

/// `log.format: json`: one JSON object per line, `{"time":..., "level":..., "logger":...,
/// "message":..., field: value...}`, which log collectors (Loki, Elasticsearch, Cloud
/// Logging) parse without a custom pattern. Fields are the entry's metadata, at the top level
/// so queries read `status` and not `fields.status`; a field named like one of the four fixed
/// keys gets a `field_` prefix rather than replacing it. Numbers and booleans given as
/// `.stringConvertible` stay JSON numbers and booleans.
///
/// The line is written with one `write` call, so lines from several threads never interleave.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void
    private let wallTime: @Sendable () -> Double

    /// - Parameters:
    ///   - write: receives each line with its newline (stderr in `ballast serve`).
    ///   - wallTime: seconds since the Unix epoch, for `time`.
    public init(
        label: String, wallTime: @escaping @Sendable () -> Double,
        write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError
    ) {
        self.label = label
        self.wallTime = wallTime
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let own = event.metadata { fields.merge(own) { $1 } }
        write(Self.line(time: wallTime(), level: event.level, label: label, message: "\(event.message)", fields: fields))
    }

    static let fixedKeys: Set<String> = ["time", "level", "logger", "message"]

    /// One entry as a JSON line (with its newline); fields in key order, so lines diff well.
    public static func line(
        time: Double, level: Logger.Level, label: String, message: String,
        fields: Logger.Metadata
    ) -> String {
        var out =
            #"{"time":""# + timestamp(time) + #"","level":""# + level.rawValue + #"","logger":""#
            + JSONText.escape(label) + #"","message":""# + JSONText.escape(message) + "\""
        for key in fields.keys.sorted() {
            let name = fixedKeys.contains(key) ? "field_" + key : key
            out += ",\"" + JSONText.escape(name) + "\":" + render(fields[key]!)
        }
        return out + "}\n"
    }

    static func render(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text):
            return "\"" + JSONText.escape(text) + "\""
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: return String(number)
            case let number as Double where number.isFinite: return String(number)
            case let flag as Bool: return flag ? "true" : "false"
            default: return "\"" + JSONText.escape(convertible.description) + "\""
            }
        case .array(let values):
            return "[" + values.map(render).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            return "{"
                + dictionary.keys.sorted().map { "\"" + JSONText.escape($0) + "\":" + render(dictionary[$0]!) }
                .joined(separator: ",") + "}"
        }
    }

    /// RFC 3339 in UTC with milliseconds: `2026-12-07T10:59:46.123Z`.
    public static func timestamp(_ seconds: Double) -> String {
        let whole = seconds.rounded(.down)
        var time = time_t(whole)
        var parts = tm()
        gmtime_r(&time, &parts)
        let millis = min(999, Int(((seconds - whole) * 1000).rounded(.down)))
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    /// Writes a line to stderr in one call (a short write is retried for the rest).
    public static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 {
                if written < 0, errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
