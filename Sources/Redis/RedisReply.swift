/// One Redis reply, copied out of hiredis' reply object (which is freed at once).
public enum RedisReply: Sendable, Equatable {
    case string([UInt8])
    case integer(Int)
    case array([RedisReply])
    case status(String)
    /// An error Redis answered (`-ERR ...`): the connection is fine, the command was not.
    case error(String)
    case null

    /// The reply as text (bulk strings and statuses).
    public var text: String? {
        switch self {
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        case .integer(let value): String(value)
        default: nil
        }
    }

    public var bytes: [UInt8]? {
        if case .string(let bytes) = self { return bytes }
        return nil
    }

    public var integer: Int? {
        switch self {
        case .integer(let value): value
        case .string: text.flatMap { Int($0) }
        default: nil
        }
    }

    public var array: [RedisReply]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// Numbers a Lua script returns as strings (Lua numbers would be truncated to integers).
    public var double: Double? { text.flatMap { Double($0) } }
}
