#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a config or rule file as UTF-8 text. A file that cannot be read is reported like
/// any other config problem, at `path:1:1`, so the operator sees one error format.
public enum ConfigFile {
    public static func read(path: String) throws(ConfigError) -> String {
        let start = SourceLocation(file: path, line: 1, column: 1)
        guard let handle = fopen(path, "rb") else {
            throw ConfigError([ConfigIssue(start, "cannot open file: \(describeErrno(errno))")])
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
            bytes.append(contentsOf: buffer[0..<count])
            if count < buffer.count {
                if ferror(handle) != 0 {
                    throw ConfigError([ConfigIssue(start, "cannot read file: \(describeErrno(errno))")])
                }
                break
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError([ConfigIssue(start, "file is not UTF-8 text")])
        }
        return text
    }

    private static func describeErrno(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
