/// Whether a cloud region's credential can go on a request now.
public enum TokenState: Sendable, Equatable {
    case ready(String)
    /// A refresh is under way; ask again when `notifyWhenReady` fires.
    case wait
    case unavailable(String)
}
