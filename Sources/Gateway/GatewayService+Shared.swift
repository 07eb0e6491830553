import BallastConfig
import ControlModels

extension GatewayService {
    /// What this instance's heartbeat tells the others (JSON; no secrets).
    func sharedInfo() -> String {
        let info = InstanceInfo(
            version: BallastVersion.current, proxy: proxyAddress, admin: adminAddress, regions: config.upstream.regions.map(\.name))
        // Strings only: encoding cannot fail.
        return (try? ControlCoding.encode(info)) ?? "{}"
    }
}
