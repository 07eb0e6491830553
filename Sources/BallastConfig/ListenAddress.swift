/// A `host:port` to listen on. Hosts are IP literals (`localhost` means 127.0.0.1) because
/// the server binds exactly what it is told; IPv6 is written `[::1]:8080`.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:8080`, `[::1]:0`, `localhost:9090` or `:8080` (loopback).
    public init?(parsing text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") { return nil }
        }
        guard let port = UInt16(portPart) else { return nil }
        var host = String(hostPart)
        if host.isEmpty || host == "localhost" { host = "127.0.0.1" }
        guard host.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" }
}

extension ConfigNode {
    /// A `host:port` listen address.
    public func listenAddress(what: String = "listen") -> ListenAddress? {
        guard let text = scalarText(what: what) else { return nil }
        guard let address = ListenAddress(parsing: text) else {
            error("\(what) must be host:port with an IP address, such as 127.0.0.1:8080 or [::1]:8080, not '\(text)'")
            return nil
        }
        return address
    }
}
