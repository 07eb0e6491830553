/// What a region speaks (`upstream.regions[].kind`): the Anthropic API itself, or Claude on
/// Amazon Bedrock or Google Vertex AI, which Ballast translates to per request.
public enum RegionKind: String, Sendable, Equatable, CaseIterable {
    case anthropic
    case bedrock
    case vertex
}
