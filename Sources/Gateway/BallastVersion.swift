/// The version reported by `ballast_build_info` and `ballast --version`.
public enum BallastVersion {
    public static let current = "0.1.0"
}
