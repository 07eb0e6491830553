/// What the rules ask of the canaries at one evaluation: canaries to hold (while a hold rule
/// fires), to advance, and to roll back (with the rule's account of why).
struct CanaryDemands: Sendable, Equatable {
    var holds: [String: String] = [:]
    var advances: [String: String] = [:]
    var rollbacks: [String: String] = [:]

    init(holds: [String: String] = [:], advances: [String: String] = [:], rollbacks: [String: String] = [:]) {
        self.holds = holds
        self.advances = advances
        self.rollbacks = rollbacks
    }
}
