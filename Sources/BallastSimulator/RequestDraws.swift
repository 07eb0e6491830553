import Foundation
public import BallastCore

/// The random numbers one API request consumes from its region's stream. Always the same
/// count in the same order, whatever the outcome, so a run replays exactly from its seed.
public struct RequestDraws: Sendable, Equatable {
    /// Picks reset / an error status / nothing, by the cumulative fault ratios.
    public var outcome: Double
    public var streamError: Double
    public var slowTail: Double
    public var stall: Double
    /// A standard normal value for the lognormal first-byte time.
    public var normal: Double

    public init(outcome: Double = 1, streamError: Double = 1, slowTail: Double = 1, stall: Double = 1, normal: Double = 0) {
        self.outcome = outcome
        self.streamError = streamError
        self.slowTail = slowTail
        self.stall = stall
        self.normal = normal
    }

    public init(using random: inout SeededRandom) {
        outcome = random.unit()
        streamError = random.unit()
        slowTail = random.unit()
        stall = random.unit()
        // Box-Muller; 1 - unit() is in (0, 1], so the logarithm is finite.
        let u1 = 1 - random.unit()
        let u2 = random.unit()
        normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
