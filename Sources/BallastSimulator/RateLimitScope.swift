/// Whose bucket a region's requests are charged to.
///
/// The Messages API counts its limits per organisation (the credential), not per region or
/// instance, so two regions called with the same key drain one bucket: failing over to
/// another region does not escape a 429. Bedrock and Vertex quotas, by contrast, are per
/// account, region and model; `region` plays those.
public enum RateLimitScope: String, Sendable, Equatable, CaseIterable {
    /// One set of buckets per credential, shared by every region in this scope.
    case organisation
    /// The region's own buckets (still one set per credential within the region).
    case region
}
