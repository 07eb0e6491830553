/// A file an operator named cannot be used: it is missing, unreadable, not a regular file
/// (a FIFO, a device, a directory) or larger than its bound. The message names the path.
public struct RegularFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
