#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Expands the rule paths of the configuration. A pattern with `*`, `?` or `[` is a glob; one
/// that matches nothing is not an error (an empty rules directory is a valid setup). A plain
/// path is kept as given, so a missing file is reported when it is read.
public enum RuleFiles {
    public static func expand(_ patterns: [String]) -> [String] {
        var paths: [String] = []
        for pattern in patterns {
            let isGlob = pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" }
            let found = isGlob ? matches(pattern) : [pattern]
            for path in found where !paths.contains(path) { paths.append(path) }
        }
        return paths
    }

    /// A fingerprint of the files the patterns name (path, size and modification time of each,
    /// and which files exist): poll it every few seconds and reload when it changes, which
    /// covers edits, new files matching a glob, and removed files.
    public static func fingerprint(_ patterns: [String]) -> String {
        expand(patterns).map { path -> String in
            var info = stat()
            guard stat(path, &info) == 0 else { return "\(path):missing" }
            return "\(path):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }.joined(separator: "\n")
    }

    private static func matches(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        return paths.sorted()
    }
}
