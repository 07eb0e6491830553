#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes and removes scratch files for tests that load rules from disk.
enum FileHelper {
    struct WriteError: Error {
        var path: String
    }

    /// Writes `text` to `path`, creating the missing directories on the way.
    static func write(_ path: String, _ text: String) throws {
        var directory = ""
        for component in path.split(separator: "/").dropLast() {
            directory += "/" + component
            mkdir(directory, 0o755)
        }
        guard let file = fopen(path, "wb") else { throw WriteError(path: path) }
        defer { fclose(file) }
        let bytes = Array(text.utf8)
        guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw WriteError(path: path) }
    }

    /// Removes `path` and everything below it.
    static func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            var result = glob_t()
            defer { globfree(&result) }
            if glob(path + "/*", 0, nil, &result) == 0 {
                for index in 0..<Int(result.gl_pathc) {
                    if let child = result.gl_pathv[index] { remove(String(cString: child)) }
                }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
