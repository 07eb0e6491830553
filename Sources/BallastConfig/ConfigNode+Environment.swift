extension ConfigNode {
    /// The name of an environment variable (`[A-Za-z_][A-Za-z0-9_]*`). Secrets reach Ballast
    /// only through such names or files, so a value that looks like a key itself is refused
    /// with a message saying why, before it ends up in logs or version control.
    public func environmentVariableName(what: String) -> String? {
        guard let text = scalarText(what: what) else { return nil }
        if text.hasPrefix("sk-") {
            error("\(what) must name an environment variable that holds the secret, not the secret itself")
            return nil
        }
        guard let first = text.unicodeScalars.first, first == "_" || Self.isASCIILetter(first),
            text.unicodeScalars.allSatisfy({ $0 == "_" || Self.isASCIILetter($0) || ("0"..."9").contains($0) })
        else {
            error("\(what) must be an environment variable name (letters, digits and _, such as ANTHROPIC_API_KEY), not '\(text)'")
            return nil
        }
        return text
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
}
