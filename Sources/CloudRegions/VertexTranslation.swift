import BallastCore
import JSON

/// The Messages API request as Vertex AI's `rawPredict` takes it: the model moves from the
/// body into the URL (`...:rawPredict`, or `:streamRawPredict` for `stream: true`, which stays
/// in the body), and `anthropic_version` becomes `vertex-2023-10-16`. Beta flags stay in the
/// `anthropic-beta` header, which Vertex reads. The same rewrite as the SDK's `AnthropicVertex`.
public enum VertexTranslation {
    public static let anthropicVersion = "vertex-2023-10-16"

    public struct Output: Sendable, Equatable {
        public var path: String
        public var body: [UInt8]
    }

    public static func translate(
        body: [UInt8], project: String, location: String, model: String, stream: Bool
    )
        throws(CloudTranslationError) -> Output
    {
        guard var json = try? JSONParser.parse(body), json.objectMembers != nil else {
            throw CloudTranslationError("the request body is not a JSON object")
        }
        json.remove("model")
        if json["anthropic_version"] == nil { json.set("anthropic_version", .string(anthropicVersion)) }
        return Output(path: path(project: project, location: location, model: model, stream: stream), body: json.serialized())
    }

    public static func path(project: String, location: String, model: String, stream: Bool) -> String {
        "/v1/projects/\(project)/locations/\(location)/publishers/anthropic/models/\(model):\(stream ? "streamRawPredict" : "rawPredict")"
    }
}
