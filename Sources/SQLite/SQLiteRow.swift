import CSQLite

/// The current row of a stepping statement. Valid only inside the closure that received it:
/// the column values belong to SQLite and change on the next step, so do not keep it.
public struct SQLiteRow {
    let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }

    public var columnCount: Int32 { sqlite3_column_count(handle) }

    public func isNull(at index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    public func int(at index: Int32) -> Int { Int(sqlite3_column_int64(handle, index)) }

    public func int64(at index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    public func double(at index: Int32) -> Double { sqlite3_column_double(handle, index) }

    /// The column as text; nil when the value is NULL.
    public func string(at index: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, index) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column as bytes (empty for NULL or a zero-length blob).
    public func blob(at index: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(handle, index) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, index))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Calls `body` with the column's UTF-8 bytes without copying them into a `String`
    /// (empty for NULL). The bytes are valid only inside `body`.
    public func withUTF8<T>(at index: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        guard let text = sqlite3_column_text(handle, index) else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        let count = Int(sqlite3_column_bytes(handle, index))
        return try body(UnsafeBufferPointer(start: text, count: count))
    }
}
