/// Which requests a window or streak covers: a region, a model, both, or neither (nil means
/// any). Labels are compared exactly; a request without a region or model is stored under
/// `""` in the rollups, so `region: ""` selects the requests that never reached one.
public struct TelemetryFilter: Sendable, Hashable {
    public var region: String?
    public var model: String?

    public init(region: String? = nil, model: String? = nil) {
        self.region = region
        self.model = model
    }

    /// Every request.
    public static let all = TelemetryFilter()

    /// True when a rollup cell (labels already mapped to `""` for none) is selected.
    func matches(region cellRegion: String, model cellModel: String) -> Bool {
        (region == nil || region == cellRegion) && (model == nil || model == cellModel)
    }

    /// True when a raw request (labels possibly nil) is selected.
    func matches(region recordRegion: String?, model recordModel: String?) -> Bool {
        matches(region: recordRegion ?? "", model: recordModel ?? "")
    }
}
