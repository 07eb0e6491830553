/// Why a reload of the `clients` section changed nothing (a file with errors, a key's
/// environment variable unset). Names files and variables, never a key.
public struct ClientsReloadError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public var description: String { message }

    package init(message: String) {
        self.message = message
    }
}
