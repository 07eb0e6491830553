import BallastCore
import JSON
import CloudRegions
import Crypto
import Foundation
import Testing

@Suite struct TranslationTests {
    static let body = Array(#"{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#.utf8)

    @Test func bedrockMovesModelAndBetasAndDropsStream() throws {
        let out = try BedrockTranslation.translate(
            body: Self.body, betaHeader: "a-2025, b-2025", modelID: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            stream: true)
        #expect(out.path == "/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke-with-response-stream")
        let json = try JSONParser.parse(out.body)
        #expect(json["model"] == nil)
        #expect(json["stream"] == nil)
        #expect(json["anthropic_version"]?.stringValue == "bedrock-2023-05-31")
        #expect(json["anthropic_beta"]?.arrayValue?.compactMap(\.stringValue) == ["a-2025", "b-2025"])
        #expect(json["max_tokens"]?.intValue == 64)
        let plain = try BedrockTranslation.translate(body: Self.body, betaHeader: nil, modelID: "m", stream: false)
        #expect(plain.path == "/model/m/invoke")
        #expect(try JSONParser.parse(plain.body)["anthropic_beta"] == nil)
    }

    @Test func anInferenceProfileARNStaysOnePathSegment() {
        #expect(
            BedrockTranslation.path(modelID: "arn:aws:bedrock:us-east-1:123:inference-profile/us.x-v1:0", stream: false)
                == "/model/arn:aws:bedrock:us-east-1:123:inference-profile%2Fus.x-v1:0/invoke")
    }

    @Test func vertexMovesModelKeepsStreamAndPicksTheMethod() throws {
        let out = try VertexTranslation.translate(
            body: Self.body, project: "p", location: "global", model: "claude-sonnet-4-5@20250929",
            stream: true)
        #expect(out.path == "/v1/projects/p/locations/global/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict")
        let json = try JSONParser.parse(out.body)
        #expect(json["model"] == nil)
        #expect(json["stream"] == .bool(true))
        #expect(json["anthropic_version"]?.stringValue == "vertex-2023-10-16")
        #expect(VertexTranslation.path(project: "p", location: "us-east5", model: "m", stream: false).hasSuffix("/models/m:rawPredict"))
    }

    @Test func aBodyThatIsNoObjectIsRefused() {
        #expect(throws: CloudTranslationError.self) { try BedrockTranslation.translate(body: Array("[1]".utf8), betaHeader: nil, modelID: "m", stream: false) }
        #expect(throws: CloudTranslationError.self) { try VertexTranslation.translate(body: [], project: "p", location: "l", model: "m", stream: false) }
    }

    @Test func bedrockErrorsMapOntoTheFailureClasses() {
        func map(_ status: Int, _ type: String?, _ body: String = #"{"message":"m"}"#) -> AnthropicError {
            CloudErrorMapping.bedrock(status: status, errorType: type, body: Array(body.utf8))
        }
        #expect(map(429, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/").type == .rateLimit)
        #expect(map(429, "ModelNotReadyException").status == 529)
        #expect(map(503, "ServiceUnavailableException").type == .overloaded)
        #expect(map(408, "ModelTimeoutException").type == .timeout)
        #expect(map(400, "ValidationException").status == 400)
        #expect(map(403, "AccessDeniedException").type == .permission)
        #expect(map(403, "InvalidSignatureException", #"{"message":"Signature expired: 20240101T000000Z is now earlier than ..."}"#).type == .authentication)
        #expect(map(500, nil, #"{"__type":"com.amazon.coral#InternalServerException","message":"x"}"#).type == .api)
        #expect(map(503, nil, "not json").type == .overloaded)
        #expect(map(429, "throttlingException").type == .rateLimit)
        #expect(map(429, "ThrottlingException").message == "bedrock: ThrottlingException: m")
    }

    @Test func vertexErrorsMapOntoTheFailureClasses() {
        func map(_ status: Int, _ body: String) -> AnthropicError { CloudErrorMapping.vertex(status: status, body: Array(body.utf8)) }
        #expect(map(429, #"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}"#).type == .rateLimit)
        #expect(map(429, #"[{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}]"#).type == .rateLimit)
        #expect(map(503, #"{"error":{"code":503,"status":"UNAVAILABLE"}}"#).status == 529)
        #expect(map(529, #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#).type == .overloaded)
        #expect(map(401, #"{"error":{"code":401,"status":"UNAUTHENTICATED"}}"#).type == .authentication)
        #expect(map(500, "").status == 500)
        #expect(map(529, "").type == .overloaded)
    }

    @Test func serviceAccountJWTIsSignedRS256AndVerifies() throws {
        let key = try RSAKey.generate(bits: 1024)
        let file =
            #"{"type":"service_account","client_email":"ballast@p.iam.gserviceaccount.com","private_key_id":"k1","private_key":"\#(JSONText.escape(try key.privateKeyPEM()))","token_uri":"http://127.0.0.1:1/token"}"#
        let account = try ServiceAccountKey(json: Array(file.utf8), origin: "test")
        let jwt = try account.assertion(unixSeconds: 1_700_000_000)
        let parts = jwt.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        let header = try JSONParser.parse(try #require(Base64URL.decode(parts[0])))
        let claims = try JSONParser.parse(try #require(Base64URL.decode(parts[1])))
        #expect(header["alg"]?.stringValue == "RS256")
        #expect(header["kid"]?.stringValue == "k1")
        #expect(claims["iss"]?.stringValue == "ballast@p.iam.gserviceaccount.com")
        #expect(claims["aud"]?.stringValue == "http://127.0.0.1:1/token")
        #expect(claims["scope"]?.stringValue == "https://www.googleapis.com/auth/cloud-platform")
        #expect(claims["exp"]?.intValue == 1_700_003_600)
        let publicKey = try RSAKey(pem: key.publicKeyPEM())
        #expect(publicKey.verifySHA256(signature: try #require(Base64URL.decode(parts[2])), data: Array("\(parts[0]).\(parts[1])".utf8)))
        #expect(!"\(account)".contains("PRIVATE"))
    }

    @Test func aBadKeyFileNamesTheFileAndTheField() {
        #expect(throws: CloudCredentialError("the service-account key file sa.json has no 'private_key'")) {
            try ServiceAccountKey(json: Array(#"{"type":"service_account","client_email":"a@b"}"#.utf8), origin: "sa.json")
        }
        #expect(throws: CloudCredentialError("the 'private_key' of sa.json is not a PEM RSA private key")) {
            try ServiceAccountKey(json: Array(#"{"client_email":"a@b","private_key":"nope"}"#.utf8), origin: "sa.json")
        }
        #expect(throws: CloudCredentialError("cannot read the service-account key file /nonexistent/sa.json")) {
            try ServiceAccountKey(file: "/nonexistent/sa.json")
        }
    }

    @Test func stsAnswersAreRead() throws {
        let source = STSWebIdentitySource(roleARN: "arn:aws:iam::1:role/r", tokenFile: "/dev/null", sessionName: "s", endpoint: "http://127.0.0.1:1")
        let xml = """
            <AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>
            <AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>sec/ret</SecretAccessKey><SessionToken>tok+en</SessionToken>
            <Expiration>2023-11-14T22:13:20Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>
            """
        let parsed = try source.parse(status: 200, body: Array(xml.utf8), unixSeconds: 1_700_000_000 - 600).get()
        #expect(parsed.expiresIn == 600)
        #expect(
            STSWebIdentitySource.credentials(from: parsed.value) == AWSCredentials(accessKeyID: "ASIAX", secretAccessKey: "sec/ret", sessionToken: "tok+en"))
        if case .success = source.parse(status: 403, body: Array("<Error><Code>AccessDenied</Code></Error>".utf8), unixSeconds: 0) {
            Issue.record("a 403 is no credential")
        }
        // An empty token file is refused before any call.
        if case .success = source.request(unixSeconds: 0) { Issue.record("an empty token file must be refused") }
    }
}
