/// A label a selector may match on. `region` and `model` identify series and may be grouped
/// by; `class` picks outcome classes; `level` picks requests or upstream attempts
/// (`SeriesLevel`); `canary` picks a canary's side (`old` or `new`) and `migration` one canary
/// (`CanarySelector`).
public enum SeriesLabel: String, Sendable, CaseIterable, Hashable {
    case region
    case model
    case `class`
    case level
    case canary
    case migration
}
