/// The public face of `KeyFingerprint` for the CLI's `ballast fingerprint`.
public enum ClientKeyFingerprint {
    public static func of(_ key: String) -> String { KeyFingerprint.of(key) }
}
