/// A label a selector may match on. `region` and `model` identify series and may be grouped
/// by; `class` picks outcome classes; `level` picks requests or upstream attempts
/// (`SeriesLevel`); `canary` is reserved for canary releases and refused until they exist, so
/// that rules written for it later do not silently mean something else.
public enum SeriesLabel: String, Sendable, CaseIterable, Hashable {
    case region
    case model
    case `class`
    case level
    case canary
}
