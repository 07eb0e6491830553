/// Where a canary is: moving through its steps, held (by an operator), rolled back (all
/// traffic on the old side until an operator resumes it), or finished (all on the new side).
package enum CanaryPhase: String, Sendable, Codable, CaseIterable {
    case running
    case held
    case rolledBack = "rolled_back"
    case finished
}
