/// Whether a pinned header replaces the client's value or only fills it in when absent.
public enum PinMode: String, Sendable, Equatable, CaseIterable {
    case override
    case fill
}
