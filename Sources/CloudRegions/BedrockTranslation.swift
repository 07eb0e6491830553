import BallastCore
import JSON
import Foundation

/// The Messages API request as Amazon Bedrock's `InvokeModel` takes it: the model moves from
/// the body into the URL (`/model/{id}/invoke`, or `/invoke-with-response-stream` for
/// `stream: true`), `stream` leaves the body, `anthropic_version` becomes
/// `bedrock-2023-05-31`, and the `anthropic-beta` header becomes the body's `anthropic_beta`
/// list. The same rewrite the official SDK's `AnthropicBedrock` client does.
public enum BedrockTranslation {
    public static let anthropicVersion = "bedrock-2023-05-31"

    public struct Output: Sendable, Equatable {
        public var path: String
        public var body: [UInt8]
    }

    public static func translate(
        body: [UInt8], betaHeader: String?, modelID: String, stream: Bool
    )
        throws(CloudTranslationError) -> Output
    {
        guard var json = try? JSONParser.parse(body), json.objectMembers != nil else {
            throw CloudTranslationError("the request body is not a JSON object")
        }
        json.remove("model")
        json.remove("stream")
        if json["anthropic_version"] == nil { json.set("anthropic_version", .string(anthropicVersion)) }
        let betas = (betaHeader ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if !betas.isEmpty, json["anthropic_beta"] == nil {
            json.set("anthropic_beta", .array(betas.map { .string($0) }))
        }
        return Output(path: path(modelID: modelID, stream: stream), body: json.serialized())
    }

    /// `/model/{id}/invoke[-with-response-stream]`, the id percent-encoded except for `:` (as
    /// the SDK's `quote(model, safe=":")`): an inference-profile ARN's `/` must not split the path.
    public static func path(modelID: String, stream: Bool) -> String {
        var encoded = SigV4Signer.uriEncode(modelID, keepSlash: false)
        encoded = encoded.replacingOccurrences(of: "%3A", with: ":")
        return "/model/\(encoded)/\(stream ? "invoke-with-response-stream" : "invoke")"
    }
}
