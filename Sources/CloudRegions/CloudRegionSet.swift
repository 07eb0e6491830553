public import BallastConfig
public import BallastCore
import Foundation
public import Logging
public import Upstream

/// The `bedrock` and `vertex` regions of a configuration, by name, with their credentials
/// resolved from the environment at start-up.
public final class CloudRegionSet: Sendable {
    public let regions: [String: CloudRegion]

    public init(regions: [CloudRegion]) {
        self.regions = Dictionary(uniqueKeysWithValues: regions.map { ($0.name, $0) })
    }

    public subscript(name: String) -> CloudRegion? { regions[name] }

    public var isEmpty: Bool { regions.isEmpty }

    /// The cloud regions among `configs` that cannot serve this request (its path or model).
    public func unservable(method: String, path: String, model: String?) -> Set<String> {
        Set(regions.values.filter { !$0.serves(method: method, path: path, model: model) }.map(\.name))
    }

    /// Builds every cloud region of `configs`. Throws when a region's credentials cannot be
    /// had: the message names the variable or file to set.
    public static func make(
        _ configs: [RegionConfig], environment: [String: String], client: UpstreamClient,
        clock: any TimeSource, logger: Logger
    ) throws(CloudCredentialError) -> CloudRegionSet {
        var regions: [CloudRegion] = []
        for config in configs where config.kind != .anthropic {
            guard let settings = config.cloud else { continue }
            let auth: CloudRegion.Auth
            switch config.kind {
            case .bedrock:
                auth = try awsAuth(
                    region: config.name, awsRegion: settings.awsRegion ?? "us-east-1",
                    environment: environment, client: client, clock: clock)
            case .vertex:
                auth = try googleAuth(
                    region: config.name, settings: settings, environment: environment,
                    client: client, clock: clock)
            case .anthropic: continue
            }
            let name = config.name
            regions.append(
                CloudRegion(name: name, kind: config.kind, settings: settings, auth: auth, clock: clock) { error, head in
                    logError(region: name, error: error, head: head, clock: clock, logger: logger)
                })
            logger.info("cloud region \(name): \(config.kind.rawValue) at \(settings.resolvedEndpoint(kind: config.kind)) with \(auth)")
        }
        return CloudRegionSet(regions: regions)
    }

    /// Bedrock's credentials, in the order the AWS SDKs take them: a Bedrock API key, keys in
    /// the environment, a web identity.
    static func awsAuth(
        region: String, awsRegion: String, environment: [String: String], client: UpstreamClient,
        clock: any TimeSource
    ) throws(CloudCredentialError) -> CloudRegion.Auth {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let token = value("AWS_BEARER_TOKEN_BEDROCK") { return .awsBearer(token) }
        if let key = value("AWS_ACCESS_KEY_ID") {
            guard let secret = value("AWS_SECRET_ACCESS_KEY") else {
                throw CloudCredentialError("bedrock region \(region): AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            return .awsKeys(AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN")))
        }
        if value("AWS_SECRET_ACCESS_KEY") != nil {
            throw CloudCredentialError("bedrock region \(region): AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
        }
        if let role = value("AWS_ROLE_ARN") {
            guard let file = value("AWS_WEB_IDENTITY_TOKEN_FILE") else {
                throw CloudCredentialError("bedrock region \(region): AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not")
            }
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw CloudCredentialError("bedrock region \(region): cannot read the web identity token file \(file) (AWS_WEB_IDENTITY_TOKEN_FILE)")
            }
            let endpoint = value("AWS_ENDPOINT_URL_STS") ?? "https://sts.\(awsRegion).amazonaws.com"
            let source = STSWebIdentitySource(
                roleARN: role, tokenFile: file, sessionName: value("AWS_ROLE_SESSION_NAME") ?? "ballast",
                endpoint: endpoint)
            return .awsWebIdentity(RefreshingCredential(source: source, client: client, clock: clock))
        }
        throw CloudCredentialError(
            "bedrock region \(region) has no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                + "(and AWS_SESSION_TOKEN for temporary keys), AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, "
                + "or AWS_BEARER_TOKEN_BEDROCK")
    }

    /// Vertex's credentials: `credentials_file`, else `GOOGLE_APPLICATION_CREDENTIALS`, else the
    /// metadata server (`GCE_METADATA_HOST`, else `metadata.google.internal`).
    static func googleAuth(
        region: String, settings: CloudRegionConfig, environment: [String: String], client: UpstreamClient,
        clock: any TimeSource
    ) throws(CloudCredentialError) -> CloudRegion.Auth {
        let file = settings.credentialsFile ?? environment["GOOGLE_APPLICATION_CREDENTIALS"].flatMap { $0.isEmpty ? nil : $0 }
        if let file {
            let origin = settings.credentialsFile != nil ? "credentials_file" : "GOOGLE_APPLICATION_CREDENTIALS"
            let account: ServiceAccountKey
            do {
                account = try ServiceAccountKey(file: file)
            } catch {
                throw CloudCredentialError("vertex region \(region) (\(origin)): \(error)")
            }
            return .google(RefreshingCredential(source: ServiceAccountSource(account: account), client: client, clock: clock))
        }
        let host = environment["GCE_METADATA_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "metadata.google.internal"
        return .google(RefreshingCredential(source: MetadataServerSource(host: host), client: client, clock: clock))
    }

    /// A refused signature is logged with the clock skew the service's `Date` shows: AWS
    /// refuses requests signed more than five minutes off its clock.
    static func logError(region: String, error: AnthropicError, head: UpstreamResponseHead, clock: any TimeSource, logger: Logger) {
        guard error.type == .authentication || error.type == .permission else { return }
        var metadata: Logger.Metadata = ["region": "\(region)", "status": "\(head.status)"]
        if error.message.contains("Signature expired") || error.message.contains("Signature not yet current"),
            let date = head.headers["date"], let serverTime = httpDate(date)
        {
            let skew = clock.wallTime() - serverTime
            metadata["clock_skew_seconds"] = "\(Int(skew.rounded()))"
            logger.error(
                "region \(region): AWS refused the signature as expired; this host's clock is \(Int(skew.rounded())) s off the service's (Date: \(date))",
                metadata: metadata)
        } else {
            logger.warning("region \(region) refused the credential: \(error.message)", metadata: metadata)
        }
    }

    /// An RFC 7231 HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`) as Unix seconds.
    static func httpDate(_ text: String) -> Double? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)?.timeIntervalSince1970
    }
}
