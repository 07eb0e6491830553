import Foundation

/// One field of a shared hash: when it was set (wall seconds) and its payload (JSON).
public struct SharedEntry: Sendable, Equatable {
    public var field: String
    public var setAt: Double
    public var payload: String

    public init(field: String, setAt: Double, payload: String) {
        self.field = field
        self.setAt = setAt
        self.payload = payload
    }

    /// `setAt|payload`, as stored.
    var stored: String { String(format: "%.6f", setAt) + "|" + payload }

    init?(field: String, stored: String) {
        guard let bar = stored.firstIndex(of: "|"), let setAt = Double(stored[..<bar]) else { return nil }
        self.init(field: field, setAt: setAt, payload: String(stored[stored.index(after: bar)...]))
    }
}
