public import BallastCore

/// A set of outcome classes, as a bit mask so that a selector's `class` matcher costs nothing
/// to store, hash and apply to a window's counts.
public struct OutcomeClassSet: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public init(_ classes: some Sequence<OutcomeClass>) {
        var raw: UInt8 = 0
        for outcome in classes { raw |= 1 << UInt8(outcome.countIndex) }
        rawValue = raw
    }

    public static let success = OutcomeClassSet([.success])
    public static let client = OutcomeClassSet([.client])
    public static let upstream = OutcomeClassSet([.upstream])
    public static let local = OutcomeClassSet([.local])
    public static let ballast = OutcomeClassSet([.ballast])
    public static let all = OutcomeClassSet(OutcomeClass.allCases)
    /// What `error_ratio` and the probes count as failures unless told otherwise: the failures
    /// a region or model is responsible for, not the client's mistakes nor Ballast's own refusals.
    public static let defaultFailures: OutcomeClassSet = [.upstream, .local]

    public func contains(_ outcome: OutcomeClass) -> Bool {
        rawValue & (1 << UInt8(outcome.countIndex)) != 0
    }

    /// The classes in declaration order.
    public var classes: [OutcomeClass] { OutcomeClass.allCases.filter { contains($0) } }

    /// `upstream|local`, the form a selector writes it in.
    public var description: String { classes.map(\.rawValue).joined(separator: "|") }
}
