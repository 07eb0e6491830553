/// `GET /control/v1/instances`: the instances sharing state, from the last heartbeat; alone,
/// just this one (`local`).
package struct InstancesDocument: Codable, Sendable, Equatable {
    package var shared: Bool
    package var backendUp: Bool
    /// This instance's id.
    package var selfID: String
    package var instances: [Instance]

    package struct Instance: Codable, Sendable, Equatable {
        package var id: String
        package var isSelf: Bool
        /// From the instance's heartbeat; absent when it did not say.
        package var version: String?
        package var proxy: String?
        package var admin: String?
        /// Wall-clock seconds.
        package var lastSeen: Double
        package var ageSeconds: Double

        package init(id: String, isSelf: Bool, version: String?, proxy: String?, admin: String?, lastSeen: Double, ageSeconds: Double) {
            self.id = id
            self.isSelf = isSelf
            self.version = version
            self.proxy = proxy
            self.admin = admin
            self.lastSeen = lastSeen
            self.ageSeconds = ageSeconds
        }

        enum CodingKeys: String, CodingKey {
            case id, version, proxy, admin
            case isSelf = "self"
            case lastSeen = "last_seen"
            case ageSeconds = "age_seconds"
        }
    }

    package init(shared: Bool, backendUp: Bool, selfID: String, instances: [Instance]) {
        self.shared = shared
        self.backendUp = backendUp
        self.selfID = selfID
        self.instances = instances
    }

    enum CodingKeys: String, CodingKey {
        case shared, instances
        case backendUp = "backend_up"
        case selfID = "self"
    }
}
