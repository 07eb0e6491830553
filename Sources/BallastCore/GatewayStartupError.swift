/// Why Ballast cannot start with a given config. Messages name env vars and files, never
/// their secret contents.
public enum GatewayStartupError: Error, Sendable, CustomStringConvertible {
    case missingCredential(String)
    case unsupported(String)
    case listenFailed(String)
    case storeFailed(String)
    case rulesInvalid(String)

    public var description: String {
        switch self {
        case .missingCredential(let why): "no upstream credential: \(why)"
        case .unsupported(let why): why
        case .listenFailed(let why): why
        case .storeFailed(let why): why
        case .rulesInvalid(let errors): "invalid rule files:\n\(errors)"
        }
    }
}
