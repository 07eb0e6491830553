import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Loopback ports for servers a test or benchmark starts as a separate process (which cannot
/// be handed port 0 and asked back).
public enum LoopbackPort {
    /// A loopback port nothing listens on now (bound to port 0, read back, released).
    public static func free() throws -> Int {
        let (fd, port) = try bound()
        close(fd)
        return port
    }

    /// A TCP socket bound to 127.0.0.1 on a port the kernel chose, and that port; the caller
    /// owns the socket (listens on it, or keeps it bound so connections to it are refused).
    public static func bound() throws -> (socket: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackPortError() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else {
            close(fd)
            throw LoopbackPortError()
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A socket bound to `host:port` (an IPv4 address) and never listened on: connections to
    /// the port are refused while it is held. `SO_REUSEADDR`, so a port whose last listener's
    /// connections linger in TIME_WAIT can be held at once.
    public static func hold(host: String, port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackPortError() }
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let ok = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard ok else {
            close(fd)
            throw LoopbackPortError()
        }
        return fd
    }

    /// A listening loopback socket on a port the kernel chose, and that port.
    public static func listening(backlog: Int32 = 64) throws -> (socket: Int32, port: Int) {
        let (fd, port) = try bound()
        guard listen(fd, backlog) == 0 else {
            close(fd)
            throw LoopbackPortError()
        }
        return (fd, port)
    }
}

public struct LoopbackPortError: Error, CustomStringConvertible {
    public var description: String { "could not bind a loopback port" }
}
