/// One rollup row's identity: a time bucket (Unix seconds of its start) × region × model.
/// A request without a region or model is rolled up under `""`, because SQLite treats NULLs
/// as distinct in a UNIQUE index and upserts would then never conflict.
struct RollupKey: Hashable, Sendable {
    var bucket: Int
    var region: String
    var model: String
}
