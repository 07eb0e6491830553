package import Rules

/// Which canary a request matched and the side it went to; telemetry and metrics are labelled
/// by it, so rules compare the two sides.
package struct CanaryTag: Sendable, Hashable {
    package typealias Side = CanarySelector.Side

    package var canary: String
    package var side: Side

    /// The selector that reads exactly this canary's side.
    var selector: CanarySelector { CanarySelector(side: side, migration: canary) }
}
