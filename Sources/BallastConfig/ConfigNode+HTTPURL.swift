extension ConfigNode {
    /// An `http://` or `https://` URL with a host and an optional port.
    ///
    /// With `allowPath: false` (upstream base URLs, to which Ballast appends `/v1/messages`)
    /// only a bare `/` may follow the host, and it is dropped. Credentials in the URL are
    /// refused: secrets come from environment variables or files, never the config.
    public func httpURL(what: String, allowPath: Bool) -> String? {
        guard let text = scalarText(what: what) else { return nil }
        let scheme: String
        if text.hasPrefix("https://") {
            scheme = "https://"
        } else if text.hasPrefix("http://") {
            scheme = "http://"
        } else {
            error("\(what) must start with http:// or https://, not '\(text)'")
            return nil
        }
        let rest = text.dropFirst(scheme.count)
        if rest.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) {
            error("\(what) must not contain spaces, not '\(text)'")
            return nil
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let tail = rest[authorityEnd...]
        if authority.contains("@") {
            error("\(what) must not contain a user or password; give credentials through the auth section")
            return nil
        }
        if let problem = Self.authorityProblem(authority) {
            error("\(what) \(problem), not '\(text)'")
            return nil
        }
        if allowPath {
            if tail.contains("#") {
                error("\(what) must not contain a fragment (#), not '\(text)'")
                return nil
            }
            return text
        }
        guard tail.isEmpty || tail == "/" else {
            error("\(what) must be scheme://host[:port] without a path, query or fragment (Ballast appends /v1/...), not '\(text)'")
            return nil
        }
        return scheme + authority
    }

    /// Why `host[:port]` is not usable, or nil when it is.
    private static func authorityProblem(_ authority: Substring) -> String? {
        let host: Substring
        let port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return "has an unclosed [ in its IPv6 host" }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = nil
            } else {
                guard after.hasPrefix(":") else { return "has text after its IPv6 host" }
                port = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        } else {
            host = authority
            port = nil
        }
        if host.isEmpty { return "has no host" }
        if let port {
            guard let number = Int(port), (1...65535).contains(number), port.allSatisfy(\.isNumber) else {
                return "has an invalid port (1-65535)"
            }
        }
        return nil
    }
}
