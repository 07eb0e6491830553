import BallastCore
import CloudRegions
import Testing

@Suite struct SigV4SignerTests {
    static let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        sessionToken: "session-token-example")
    static let body = Array(#"{"max_tokens":16,"messages":[{"role":"user","content":"hi"}],"anthropic_version":"bedrock-2023-05-31"}"#.utf8)

    /// The expected header is botocore 1.44's `SigV4Auth(credentials, "bedrock", "us-east-1")`
    /// over the same request (host, content-type, accept, the body), signed at 20261207T135505Z.
    @Test func signsABedrockInvokeExactlyAsBotocore() throws {
        var headers: HTTPHeaders = [
            "host": "bedrock-runtime.us-east-1.amazonaws.com", "content-type": "application/json",
            "accept": "application/json",
        ]
        let time = try #require(AWSTimestamp.parse("20261207T135505Z"))
        SigV4Signer(service: "bedrock", region: "us-east-1")
            .sign(
                method: "POST", path: "/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke", headers: &headers,
                body: Self.body, credentials: Self.credentials, unixSeconds: time)
        #expect(headers["x-amz-date"] == "20261207T135505Z")
        #expect(headers["x-amz-security-token"] == "session-token-example")
        #expect(
            headers["authorization"] == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/bedrock/aws4_request, "
                + "SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, "
                + "Signature=548dc1e6919299d91f34b975cd92f5b98407e647c64b2af0c633cc95c32fb86c")
    }

    /// AWS's published SigV4 test suite, `get-vanilla` (service `service`, no session token).
    @Test func matchesTheAWSTestSuiteGetVanilla() throws {
        var headers: HTTPHeaders = ["host": "example.amazonaws.com"]
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        SigV4Signer(service: "service", region: "us-east-1").sign(
            method: "GET", path: "/", headers: &headers, body: [],
            credentials: credentials,
            unixSeconds: try #require(AWSTimestamp.parse("20150830T123600Z")))
        #expect(
            headers["authorization"] == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(headers["x-amz-security-token"] == nil)
    }

    @Test func aChangedBodyPathOrSecretChangesTheSignature() throws {
        func signature(path: String = "/model/m:0/invoke", body: [UInt8] = [1], secret: String = "s") -> String? {
            var headers: HTTPHeaders = ["host": "h"]
            SigV4Signer(service: "bedrock", region: "us-east-1").sign(
                method: "POST", path: path, headers: &headers, body: body,
                credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: secret),
                unixSeconds: 1_700_000_000)
            return headers["authorization"]
        }
        let base = signature()
        #expect(base != signature(path: "/model/m:1/invoke"))
        #expect(base != signature(body: [2]))
        #expect(base != signature(secret: "t"))
        #expect(base == signature())
    }

    @Test func canonicalFormsFollowTheRules() {
        // Non-S3 services sign the path encoded once more: `%3A` is signed as `%253A`.
        let request = SigV4Signer.canonicalRequest(
            method: "POST", path: "/model/a%3Ab/invoke", query: "b=2&a=1&a=0",
            headers: ["host": "h", "x-a": "  two   words "], signedHeaders: ["host", "x-a"],
            payloadHash: "p")
        #expect(request == "POST\n/model/a%253Ab/invoke\na=0&a=1&b=2\nhost:h\nx-a:two words\n\nhost;x-a\np")
    }

    @Test func timestampsRoundTrip() {
        for seconds in [0.0, 951_782_400, 1_700_000_000, 4_102_444_799] {
            let stamp = AWSTimestamp(unixSeconds: seconds)
            #expect(AWSTimestamp.parse(stamp.dateTime) == seconds)
        }
        #expect(AWSTimestamp(unixSeconds: 951_782_400).dateTime == "20000229T000000Z")
        #expect(AWSTimestamp.parse("2015-08-30") == nil)
    }
}
