import BallastCore
import ControlModels
import Redis
import SharedState

extension ControlAPI {
    /// `GET /control/v1/instances`: the membership list from the last heartbeat, this
    /// instance marked; alone, just this instance.
    func instancesDocument() -> InstancesDocument {
        let wall = context.clock.wallTime()
        guard let shared = context.shared else {
            let me = InstancesDocument.Instance(
                id: "local", isSelf: true, version: context.version, proxy: nil, admin: nil, lastSeen: wall, ageSeconds: 0)
            return InstancesDocument(shared: false, backendUp: false, selfID: "local", instances: [me])
        }
        let members = shared.membership.current ?? []
        let instances = members.map { member in
            // A heartbeat that does not read as one (another version's) still lists the member.
            let info = try? ControlCoding.decode(InstanceInfo.self, from: Array(member.info.utf8))
            return InstancesDocument.Instance(
                id: member.id, isSelf: member.id == shared.instanceID, version: info?.version, proxy: info?.proxy, admin: info?.admin,
                lastSeen: wall - member.age, ageSeconds: member.age)
        }
        return InstancesDocument(shared: true, backendUp: shared.client.isUp, selfID: shared.instanceID, instances: instances)
    }
}
