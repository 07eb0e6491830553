import Cache
import Foundation
import JSON
import BallastCore
import Redis
import SharedState

extension ControlAPI {
    /// `GET /control/v1/instances`: the membership list from the last heartbeat, this
    /// instance marked; alone, just this instance.
    func instancesDocument() -> [String: Any] {
        let wall = context.clock.wallTime()
        guard let shared = context.shared else {
            let me: [String: Any] = [
                "id": "local", "self": true, "version": context.version, "last_seen": wall,
                "age_seconds": 0.0,
            ]
            return ["shared": false, "backend_up": false, "self": "local", "instances": [me]]
        }
        let members = shared.membership.current ?? []
        let documents: [[String: Any]] = members.map { member in
            var document: [String: Any] = [
                "id": member.id, "self": member.id == shared.instanceID,
                "last_seen": wall - member.age, "age_seconds": member.age,
            ]
            if let info = try? JSONParser.parse(member.info) {
                for field in ["version", "proxy", "admin"] {
                    if let value = info[field]?.stringValue { document[field] = value }
                }
            }
            return document
        }
        return ["shared": true, "backend_up": shared.client.isUp, "self": shared.instanceID, "instances": documents]
    }
}
