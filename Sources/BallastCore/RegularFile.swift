#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads (or checks) a file that an operator named: a config, rule, CA or key file.
///
/// Only a regular file under a size bound is accepted. A FIFO named by mistake blocked a
/// `fopen` forever, and `/dev/zero` was read until 17 GB of memory were gone; a directory
/// reads as nothing. The file is opened with `O_NONBLOCK` (so opening a FIFO returns at once)
/// and its type and size are checked on the open descriptor, then at most `maxBytes + 1`
/// bytes are read, so a file that grows after the check is still refused.
public enum RegularFile {
    /// The file's bytes, or an error naming the path and what is wrong with it.
    public static func read(path: String, maxBytes: Int) throws(RegularFileError) -> [UInt8] {
        let descriptor = try openChecked(path: path, maxBytes: maxBytes)
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= maxBytes {
            let want = min(chunk.count, maxBytes + 1 - bytes.count)
            let count = chunk.withUnsafeMutableBytes { readDescriptor(descriptor, $0.baseAddress, want) }
            if count < 0 {
                if errno == EINTR { continue }
                throw RegularFileError(path: path, reason: "cannot read file: \(describe(errno))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        if bytes.count > maxBytes {
            throw RegularFileError(path: path, reason: "larger than the limit of \(describeSize(maxBytes))")
        }
        return bytes
    }

    /// Checks that `path` names a readable regular file of at most `maxBytes`, for paths that a
    /// C library opens itself (OpenSSL's CA and key files).
    public static func check(path: String, maxBytes: Int) throws(RegularFileError) {
        close(try openChecked(path: path, maxBytes: maxBytes))
    }

    private static func openChecked(path: String, maxBytes: Int) throws(RegularFileError) -> Int32 {
        precondition(maxBytes >= 0, "a size bound is not negative")
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw RegularFileError(path: path, reason: "cannot open file: \(describe(errno))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            throw RegularFileError(path: path, reason: "cannot stat: \(describe(code))")
        }
        let kind = status.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(descriptor)
            throw RegularFileError(path: path, reason: "not a regular file (\(describeKind(kind)))")
        }
        guard Int(status.st_size) <= maxBytes else {
            close(descriptor)
            throw RegularFileError(path: path, reason: "\(describeSize(Int(status.st_size))), larger than the limit of \(describeSize(maxBytes))")
        }
        return descriptor
    }

    private static func describeKind(_ kind: mode_t) -> String {
        switch kind {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a file"
        }
    }

    static func describeSize(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    private static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// `read(2)`, named apart from `RegularFile.read`.
private func readDescriptor(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(descriptor, buffer, count)
    #else
    Darwin.read(descriptor, buffer, count)
    #endif
}
