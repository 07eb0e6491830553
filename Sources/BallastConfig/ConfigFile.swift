import BallastCore

/// Reads a config or rule file as UTF-8 text. A file that cannot be read is reported like
/// any other config problem, at `path:1:1`, so the operator sees one error format.
///
/// Only a regular file of at most `maxBytes` is read (see `RegularFile`): a FIFO, a device or a
/// directory named by mistake is an error at once, not a hang or gigabytes of memory.
public enum ConfigFile {
    /// 1 MiB: the largest rule file shipped (rules/*.yaml) is 5 KB, so two hundred times
    /// that is room for any hand-written file and still parses in milliseconds.
    public static let maxBytes = 1 << 20

    public static func read(path: String, maxBytes: Int = ConfigFile.maxBytes) throws(ConfigError) -> String {
        let start = SourceLocation(file: path, line: 1, column: 1)
        let bytes: [UInt8]
        do {
            bytes = try RegularFile.read(path: path, maxBytes: maxBytes)
        } catch {
            throw ConfigError([ConfigIssue(start, error.reason)])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError([ConfigIssue(start, "file is not UTF-8 text")])
        }
        return text
    }
}
