import CSQLite

/// A deterministic SQL function of text arguments: each argument's UTF-8 bytes (nil for NULL),
/// the text result, or the message of an SQL error.
public typealias SQLiteTextFunction = @Sendable ([UnsafeBufferPointer<UInt8>?]) -> Result<String, SQLiteFunctionError>

/// Why an `SQLiteTextFunction` refused its arguments; the statement fails with `message`.
public struct SQLiteFunctionError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

extension SQLiteDatabase {
    /// Registers `name(arguments...)` on this connection. The arguments are borrowed for the
    /// call only; SQLite keeps the function (and releases it with the connection).
    public func registerFunction(_ name: String, arguments: Int32, _ function: @escaping SQLiteTextFunction) throws {
        let box = Unmanaged.passRetained(FunctionBox(function)).toOpaque()
        let call: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { context, count, values in
            guard let context, let data = sqlite3_user_data(context) else { return }
            let function = Unmanaged<FunctionBox>.fromOpaque(data).takeUnretainedValue().function
            let texts = (0..<Int(max(count, 0))).map { index -> UnsafeBufferPointer<UInt8>? in
                guard let value = values?[index], sqlite3_value_type(value) != SQLITE_NULL else { return nil }
                return UnsafeBufferPointer(start: sqlite3_value_text(value), count: Int(sqlite3_value_bytes(value)))
            }
            switch function(texts) {
            case .failure(let error):
                sqlite3_result_error(context, error.message, -1)
            case .success(var text):
                text.withUTF8 { bytes in
                    guard let base = bytes.baseAddress, bytes.count > 0 else {
                        sqlite3_result_text(context, "", 0, SQLiteStatement.transient)
                        return
                    }
                    base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                        sqlite3_result_text(context, chars, Int32(bytes.count), SQLiteStatement.transient)
                    }
                }
            }
        }
        let release: @convention(c) (UnsafeMutableRawPointer?) -> Void = { data in
            if let data { Unmanaged<FunctionBox>.fromOpaque(data).release() }
        }
        // SQLite calls `release` itself when registration fails, so the box is never leaked.
        let code = sqlite3_create_function_v2(handle, name, arguments, SQLITE_UTF8 | SQLITE_DETERMINISTIC, box, call, nil, nil, release)
        guard code == SQLITE_OK else {
            throw SQLiteError.from(code, handle: handle, context: "create function \(name)")
        }
    }
}

private final class FunctionBox {
    let function: SQLiteTextFunction
    init(_ function: @escaping SQLiteTextFunction) { self.function = function }
}
