import BallastCore
import CloudRegions

/// The hooks of the proxy path for `bedrock` and `vertex` regions (docs/regions.md): their
/// requests are translated and signed per attempt, and only requests they can serve go there.
enum CloudAttempt {
    /// What a cloud region's attempt sends instead of the Anthropic request.
    struct Target {
        var url: String
        var body: [UInt8]
    }

    /// Replaces `headers` with the cloud region's (signed) headers and returns where and what
    /// to send; `.wait` and `.unavailable` as for Ballast's own credentials.
    static func prepare(_ cloud: CloudRegion, request: CallRequest, headers: inout HTTPHeaders) -> (CredentialState, Target?) {
        switch cloud.prepare(model: request.model, body: request.body, headers: headers, stream: request.wantsStream) {
        case .ready(let url, let signed, let body):
            headers = signed
            return (.ready, Target(url: url, body: body))
        case .wait:
            return (.wait, nil)
        case .unavailable(let reason):
            return (.unavailable(reason), nil)
        }
    }

    /// The cloud regions that cannot take this request (another path than Messages, or a model
    /// with no mapping there): never picked for it.
    static func excluded(_ cloud: CloudRegionSet?, request: CallRequest) -> Set<String> {
        guard let cloud, !cloud.isEmpty else { return [] }
        let path = request.pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return cloud.unservable(method: request.method, path: String(path), model: request.model)
    }
}
