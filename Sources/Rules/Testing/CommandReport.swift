/// What a `ballast rules` subcommand prints and the exit status it ends with, computed by the
/// library so it can be tested without a process.
public struct CommandReport: Sendable, Equatable {
    /// 0 on success, 1 when a check or test failed.
    public var exitStatus: Int32
    /// The text for standard output, ending with a newline.
    public var text: String

    public init(exitStatus: Int32, text: String) {
        self.exitStatus = exitStatus
        self.text = text
    }
}
