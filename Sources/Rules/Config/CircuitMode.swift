/// What happens to a request whose circuit is open.
public enum CircuitMode: String, Sendable, Equatable, CaseIterable {
    /// Send it to another region (region circuits, and model circuits of one region).
    case reroute
    /// Send it to the model's fallback from the degradation `fallback:` map (model circuits).
    case fallback
    /// Answer at once with 529 and `retry-after` (model circuits).
    case failFast = "fail_fast"
}
