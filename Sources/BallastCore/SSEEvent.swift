/// One server-sent event: its `event:` name and its `data:` lines joined.
public struct SSEEvent: Sendable, Equatable {
    public var name: String
    public var data: String

    public init(name: String, data: String) {
        self.name = name
        self.data = data
    }
}
