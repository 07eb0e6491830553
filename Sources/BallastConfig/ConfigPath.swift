/// Resolves the relative paths written in a config file against that file's directory, the
/// way Prometheus resolves rule files, so a config works whatever directory the server is
/// started from. Paths stay strings: globs such as `rules/*.yaml` are expanded later.
public enum ConfigPath {
    /// The directory part of `path`: `.` for a bare file name, `/` for a file at the root.
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// `path` joined to `baseDirectory` when it is relative. Absolute paths, SQLite's
    /// `:memory:`, and every path when no base (or `.`) is given are returned unchanged.
    /// `~` is not expanded: the server process may not have the operator's home.
    public static func resolve(_ path: String, against baseDirectory: String?) -> String {
        guard let base = baseDirectory, !base.isEmpty, base != ".",
            !path.isEmpty, !path.hasPrefix("/"), path != ":memory:"
        else { return path }
        var relative = Substring(path)
        while relative.hasPrefix("./") {
            relative = relative.dropFirst(2)
            while relative.hasPrefix("/") { relative = relative.dropFirst() }
        }
        if relative == "." || relative.isEmpty { return base }
        return base.hasSuffix("/") ? base + relative : base + "/" + relative
    }
}
