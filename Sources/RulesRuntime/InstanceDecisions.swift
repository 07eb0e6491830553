/// What one instance's own rules decide about traffic as a whole, published for the others
/// (shared mode): its degradation level and how much of each region's weight it shifts away.
/// Every instance applies the more cautious of its own and the live instances' decisions, so
/// trouble seen through any instance's traffic protects all of them, and no instance's calmer
/// view can undo what another one sees.
package struct InstanceDecisions: Codable, Equatable, Sendable {
    package var degradation = 0
    /// Share of each region's weight shifted away, 0...1; regions with nothing shifted absent.
    var removed: [String: Double] = [:]

    var isEmpty: Bool { degradation == 0 && removed.isEmpty }

    /// The more cautious of both: the higher level, the larger shift of each region.
    package func merged(with other: InstanceDecisions) -> InstanceDecisions {
        InstanceDecisions(
            degradation: max(degradation, other.degradation),
            removed: removed.merging(other.removed) { max($0, $1) })
    }

    package init(degradation: Int = 0, removed: [String: Double] = [:]) {
        self.degradation = degradation
        self.removed = removed
    }
}
