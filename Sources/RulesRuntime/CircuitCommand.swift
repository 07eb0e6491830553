/// What an operator does to a circuit: hold it open, hold it closed (the rules may not trip
/// it), or reset it (forget its trips, drop any hold, the rules govern again).
package enum CircuitCommand: String, Sendable, CaseIterable {
    case open, close, reset
}
