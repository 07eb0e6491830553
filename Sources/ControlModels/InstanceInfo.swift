/// What an instance's heartbeat tells the others about it (no secrets): read back into the
/// instances document.
package struct InstanceInfo: Codable, Sendable, Equatable {
    package var version: String?
    package var proxy: String?
    package var admin: String?
    package var regions: [String]?

    package init(version: String?, proxy: String?, admin: String?, regions: [String]?) {
        self.version = version
        self.proxy = proxy
        self.admin = admin
        self.regions = regions
    }
}
