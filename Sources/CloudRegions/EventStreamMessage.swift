/// One message of the AWS event-stream encoding (`application/vnd.amazon.eventstream`):
/// headers and a payload. Bedrock's streams carry `:message-type` (`event` or `exception`),
/// `:event-type` (`chunk`) or `:exception-type`, and `:content-type`.
public struct EventStreamMessage: Sendable, Equatable {
    public enum HeaderValue: Sendable, Equatable {
        case bool(Bool)
        case byte(Int8)
        case short(Int16)
        case int(Int32)
        case long(Int64)
        case bytes([UInt8])
        case string(String)
        case timestamp(Int64)
        case uuid([UInt8])
    }

    public var headers: [(name: String, value: HeaderValue)]
    public var payload: [UInt8]

    public init(headers: [(name: String, value: HeaderValue)], payload: [UInt8]) {
        self.headers = headers
        self.payload = payload
    }

    /// The string value of the first header called `name`.
    public func string(_ name: String) -> String? {
        for header in headers where header.name == name {
            if case .string(let value) = header.value { return value }
        }
        return nil
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.payload == rhs.payload && lhs.headers.count == rhs.headers.count
            && zip(lhs.headers, rhs.headers).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}
