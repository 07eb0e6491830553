import ControlPlane
import BallastConfig
extension GatewayService {
    /// What this instance's heartbeat tells the others (JSON; no secrets).
    func sharedInfo() -> String {
        ControlJSON.render(
            [
                "version": BallastVersion.current,
                "proxy": proxyAddress,
                "admin": adminAddress,
                "regions": config.upstream.regions.map(\.name),
            ] as [String: Any])
    }
}
