import CHiredis
#if canImport(Glibc)
import Glibc
#endif

/// One blocking hiredis connection, used by exactly one thread (the client's worker or the
/// subscriber). Every read and write is bounded by the command timeout; any failure leaves
/// the connection unusable, and the owner drops it and reconnects.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    /// The TLS tunnel hiredis talks through, when the endpoint uses TLS.
    private let tunnel: RedisTLSTunnel?

    /// Connects (through a `RedisTLSTunnel` when `endpoint.tls` is set), authenticates and
    /// selects the database; throws `RedisError.io` on failure.
    init(_ endpoint: RedisEndpoint) throws(RedisError) {
        let connected: UnsafeMutablePointer<redisContext>?
        if let tls = endpoint.tls {
            let tunnel = try RedisTLSTunnel.open(
                host: endpoint.host, port: endpoint.port, tls: tls,
                timeout: endpoint.connectTimeout)
            self.tunnel = tunnel
            connected = redisConnectFd(tunnel.plainFD)
            if connected == nil { close(tunnel.plainFD) }
        } else {
            tunnel = nil
            connected = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), Self.timeval(endpoint.connectTimeout))
        }
        guard let context = connected else { throw .io("cannot allocate a connection") }
        // From here on a throw runs `deinit`, which frees the context (and closes its socket,
        // which ends a TLS tunnel).
        self.context = context
        guard context.pointee.err == 0 else { throw .io(errorText()) }
        redisSetTimeout(context, Self.timeval(endpoint.commandTimeout))
        // Keep-alive is for TCP; a TLS tunnel sets it on its own socket.
        if endpoint.tls == nil { redisEnableKeepAlive(context) }
        var setup: [[[UInt8]]] = []
        if let password = endpoint.password { setup.append([Array("AUTH".utf8), Array(password.utf8)]) }
        if endpoint.database != 0 { setup.append([Array("SELECT".utf8), Array(String(endpoint.database).utf8)]) }
        // Under TLS 1.3 a server that refuses the client (no certificate, a wrong one) says so
        // only after the handshake: one round trip at connect time finds out, so the client
        // stays down with the reason instead of flapping at the first command.
        if endpoint.tls != nil { setup.append([Array("PING".utf8)]) }
        guard !setup.isEmpty else { return }
        for reply in try pipeline(setup) {
            if case .error(let message) = reply {
                // AUTH's error text names no secret ("WRONGPASS invalid username-password pair").
                throw .io("setup refused: \(message)")
            }
        }
    }

    deinit { redisFree(context) }

    /// The socket, for `poll` (the subscriber waits on it).
    var fileDescriptor: Int32 { context.pointee.fd }

    /// Sends every command, then reads every reply: one round trip for the batch.
    func pipeline(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisReply] {
        for command in commands { try append(command) }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands { replies.append(try readReply()) }
        return replies
    }

    /// Queues one command in the output buffer (written by the next read).
    func append(_ command: [[UInt8]]) throws(RedisError) {
        var lengths = command.map { $0.count }
        let pointers = command.map { bytes -> UnsafeMutablePointer<CChar> in
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
            bytes.withUnsafeBufferPointer { source in
                if let base = source.baseAddress {
                    pointer.withMemoryRebound(to: UInt8.self, capacity: bytes.count) { $0.update(from: base, count: bytes.count) }
                }
            }
            return pointer
        }
        defer { pointers.forEach { $0.deallocate() } }
        var arguments: [UnsafePointer<CChar>?] = pointers.map { UnsafePointer($0) }
        let status = arguments.withUnsafeMutableBufferPointer { args in
            lengths.withUnsafeMutableBufferPointer { lens in
                redisAppendCommandArgv(context, Int32(command.count), args.baseAddress, lens.baseAddress)
            }
        }
        guard status == REDIS_OK else { throw .io(errorText()) }
    }

    /// Reads one reply, blocking up to the command timeout.
    func readReply() throws(RedisError) -> RedisReply {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw .io(errorText()) }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// A reply already in the input buffer, without reading the socket; nil when none is.
    func bufferedReply() throws(RedisError) -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { throw .io(errorText()) }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Reads what the socket has into the input buffer (call after `poll` says readable).
    func fill() throws(RedisError) {
        guard redisBufferRead(context) == REDIS_OK else { throw .io(errorText()) }
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            return .string(bytes(value.str, value.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int(value.integer))
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            items.reserveCapacity(value.elements)
            for index in 0..<value.elements {
                if let element = value.element[index] { items.append(convert(element)) } else { items.append(.null) }
            }
            return .array(items)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// hiredis' account of the failure, with the TLS session's when it ended the connection.
    private func errorText() -> String {
        let text = withUnsafeBytes(of: context.pointee.errstr) { raw in
            let text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            return text.isEmpty ? "error \(context.pointee.err)" : text
        }
        guard let reason = tunnel?.failure else { return text }
        return "\(text) (TLS: \(reason))"
    }

    private static func timeval(_ seconds: Double) -> Glibc.timeval {
        let whole = max(0, seconds.rounded(.down))
        return Glibc.timeval(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1_000_000))
    }
}
