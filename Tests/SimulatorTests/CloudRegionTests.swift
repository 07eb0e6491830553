import BallastCore
import BallastTesting
import CloudRegions
import Crypto
import Foundation
import JSON
import Testing
@testable import BallastSimulator

/// The simulator's Bedrock and Vertex regions refuse what the real services refuse (bad or
/// stale signatures, unrewritten bodies, JWTs that do not verify, missing tokens), answer
/// in their shapes, and stream Bedrock replies as event-stream frames the gateway's decoder
/// reads (a separate encoder on each side). Real libmicrohttpd on port 0, the curl CLI.
@Suite struct CloudRegionTests {
    static let aws = SimulatedAWSAccount(accessKeyID: "AKIASIMTEST", secretAccessKey: "sim/secret+key", sessionToken: "sim-session")
    static let modelID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    static let bedrockBody = #"{"anthropic_version":"bedrock-2023-05-31","anthropic_beta":["b-1"],"max_tokens":50,"messages":[{"role":"user","content":"hi"}]}"#

    static func bedrockSimulator(clock: ManualClock, faults: FaultSettings = FaultSettings()) throws -> Simulator {
        let region = SimulatedRegionConfig(name: "bedrock", faults: faults, kind: .bedrock(awsRegion: "us-east-1"))
        let simulator = Simulator(config: SimulatorConfig(seed: 3, regions: [region], aws: aws), clock: clock)
        try simulator.start()
        return simulator
    }

    /// Signs like the gateway (CloudRegions' signer) at `unixSeconds`, then posts with curl.
    static func signedPost(
        _ region: SimulatedRegion, path: String, body: String, unixSeconds: Double,
        credentials: AWSCredentials = AWSCredentials(
            accessKeyID: aws.accessKeyID,
            secretAccessKey: aws.secretAccessKey,
            sessionToken: aws.sessionToken),
        awsRegion: String = "us-east-1", output: URL? = nil, extra: [String: String] = [:]
    ) throws -> CurlResult {
        var headers: HTTPHeaders = ["host": "127.0.0.1:\(region.port)", "content-type": "application/json"]
        SigV4Signer(service: "bedrock", region: awsRegion)
            .sign(method: "POST", path: path, headers: &headers, body: Array(body.utf8), credentials: credentials, unixSeconds: unixSeconds)
        var sent: [String: String] = extra
        // curl sends content-type itself with the JSON body.
        for header in headers where header.name != "content-type" { sent[header.name] = header.value }
        return try Curl.request(region.baseURL + path, json: body, headers: sent, extra: output.map { ["-o", $0.path] } ?? [])
    }

    @Test func bedrockChecksTheSignatureScopeAndTime() throws {
        let clock = ManualClock()
        let simulator = try Self.bedrockSimulator(clock: clock)
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "bedrock"))
        let path = "/model/\(Self.modelID)/invoke"
        let now = clock.wallTime()

        let ok = try Self.signedPost(region, path: path, body: Self.bedrockBody, unixSeconds: now)
        #expect(ok.status == 200, "\(ok.body)")
        let message = try #require(jsonObject(ok.body))
        #expect(message["model"] as? String == Self.modelID && message["type"] as? String == "message")
        #expect(ok.header("x-amzn-requestid") != nil && ok.header("anthropic-ratelimit-requests-limit") == nil)

        func refusal(_ result: CurlResult) -> (Int, String, String) {
            (
                result.status, String(result.header("x-amzn-errortype")?.split(separator: ":").first ?? ""),
                jsonObject(result.body)?["message"] as? String ?? ""
            )
        }
        let wrongSecret = try Self.signedPost(
            region, path: path, body: Self.bedrockBody, unixSeconds: now,
            credentials: AWSCredentials(
                accessKeyID: Self.aws.accessKeyID, secretAccessKey: "other",
                sessionToken: Self.aws.sessionToken))
        #expect(refusal(wrongSecret).0 == 403 && refusal(wrongSecret).1 == "InvalidSignatureException")
        #expect(refusal(wrongSecret).2.hasPrefix("The request signature we calculated does not match"))
        let wrongKey = try Self.signedPost(
            region, path: path, body: Self.bedrockBody, unixSeconds: now,
            credentials: AWSCredentials(
                accessKeyID: "AKIAOTHER", secretAccessKey: Self.aws.secretAccessKey,
                sessionToken: Self.aws.sessionToken))
        #expect(refusal(wrongKey).1 == "UnrecognizedClientException")
        let noSession = try Self.signedPost(
            region, path: path, body: Self.bedrockBody, unixSeconds: now,
            credentials: AWSCredentials(
                accessKeyID: Self.aws.accessKeyID,
                secretAccessKey: Self.aws.secretAccessKey))
        #expect(refusal(noSession).1 == "UnrecognizedClientException")
        let otherRegion = try Self.signedPost(region, path: path, body: Self.bedrockBody, unixSeconds: now, awsRegion: "eu-west-1")
        #expect(refusal(otherRegion).1 == "InvalidSignatureException" && refusal(otherRegion).2.contains("valid region"))
        // Signed six minutes ago: AWS allows five.
        let stale = try Self.signedPost(region, path: path, body: Self.bedrockBody, unixSeconds: now - 360)
        #expect(
            refusal(stale).0 == 403
                && refusal(stale).2 == "Signature expired: 20231114T220720Z is now earlier than "
                    + "20231114T220820Z (20231114T221320Z - 5 min.)"
        )
        let early = try Self.signedPost(region, path: path, body: Self.bedrockBody, unixSeconds: now + 360)
        #expect(refusal(early).2.hasPrefix("Signature not yet current"))
        // Four minutes is within the allowance.
        #expect(try Self.signedPost(region, path: path, body: Self.bedrockBody, unixSeconds: now - 240).status == 200)
        // A body changed after signing no longer matches.
        var headers: HTTPHeaders = ["host": "127.0.0.1:\(region.port)", "content-type": "application/json"]
        SigV4Signer(service: "bedrock", region: "us-east-1").sign(
            method: "POST", path: path, headers: &headers, body: Array(Self.bedrockBody.utf8),
            credentials: AWSCredentials(
                accessKeyID: Self.aws.accessKeyID,
                secretAccessKey: Self.aws.secretAccessKey,
                sessionToken: Self.aws.sessionToken),
            unixSeconds: now)
        var sent: [String: String] = [:]
        for header in headers where header.name != "content-type" { sent[header.name] = header.value }
        let tampered = try Curl.request(region.baseURL + path, json: Self.bedrockBody.replacingOccurrences(of: "hi", with: "ho"), headers: sent)
        #expect(refusal(tampered).1 == "InvalidSignatureException")
        let unsigned = try Curl.request(region.baseURL + path, json: Self.bedrockBody)
        #expect(refusal(unsigned) == (403, "MissingAuthenticationTokenException", "Missing Authentication Token"))
        #expect(region.stats.responses(status: 403) == 8 && region.stats.responses(status: 200) == 2)
    }

    @Test func bedrockTakesAnInferenceProfileARNAndAnAPIKey() throws {
        let clock = ManualClock()
        let region = SimulatedRegionConfig(name: "bedrock", kind: .bedrock(awsRegion: "us-east-1"))
        var account = Self.aws
        account.bearerToken = "ABSK-sim-api-key"
        let simulator = Simulator(config: SimulatorConfig(seed: 3, regions: [region], aws: account), clock: clock)
        try simulator.start()
        defer { simulator.stop() }
        let bedrock = try #require(simulator.region(named: "bedrock"))
        // An ARN's `/` travels as %2F (the gateway's path encoding) and is signed as sent.
        let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0"
        let path = BedrockTranslation.path(modelID: arn, stream: false)
        #expect(path.contains("%2F"))
        let signed = try Self.signedPost(bedrock, path: path, body: Self.bedrockBody, unixSeconds: clock.wallTime())
        #expect(signed.status == 200, "\(signed.body)")
        #expect(jsonObject(signed.body)?["model"] as? String == arn)
        let keyed = try Curl.request(
            bedrock.baseURL + "/model/\(Self.modelID)/invoke", json: Self.bedrockBody,
            headers: ["authorization": "Bearer ABSK-sim-api-key"])
        #expect(keyed.status == 200)
        let wrongKey = try Curl.request(
            bedrock.baseURL + "/model/\(Self.modelID)/invoke", json: Self.bedrockBody,
            headers: ["authorization": "Bearer ABSK-other"])
        #expect(wrongKey.status == 403 && wrongKey.header("x-amzn-errortype")?.hasPrefix("UnrecognizedClientException") == true)
    }

    @Test func aServiceClockAheadExpiresSignaturesAndShowsInDate() throws {
        let clock = ManualClock()
        var account = Self.aws
        account.clockAhead = 600
        let region = SimulatedRegionConfig(name: "bedrock", kind: .bedrock(awsRegion: "us-east-1"))
        let simulator = Simulator(config: SimulatorConfig(seed: 3, regions: [region], aws: account), clock: clock)
        try simulator.start()
        defer { simulator.stop() }
        let bedrock = try #require(simulator.region(named: "bedrock"))
        let path = "/model/\(Self.modelID)/invoke"
        // ManualClock's wall time is 2023-11-14T22:13:20Z; the service's ten minutes later.
        let behind = try Self.signedPost(bedrock, path: path, body: Self.bedrockBody, unixSeconds: clock.wallTime())
        #expect(
            behind.status == 403
                && behind.body.contains(
                    "Signature expired: 20231114T221320Z is now earlier than "
                        + "20231114T221820Z (20231114T222320Z - 5 min.)"),
            "\(behind.body)")
        #expect(behind.header("date") == "Tue, 14 Nov 2023 22:23:20 GMT")
        #expect(try Self.signedPost(bedrock, path: path, body: Self.bedrockBody, unixSeconds: clock.wallTime() + 600).status == 200)
        #expect(HTTPDate.format(unixSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func bedrockChecksTheBodyRewrites() throws {
        let clock = ManualClock()
        let simulator = try Self.bedrockSimulator(clock: clock)
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "bedrock"))
        let path = "/model/\(Self.modelID)/invoke"
        let messages = #""max_tokens":50,"messages":[{"role":"user","content":"hi"}]"#
        for (body, expected) in [
            (#"{"model":"claude","anthropic_version":"bedrock-2023-05-31",\#(messages)}"#, "extraneous key [model]"),
            (#"{"stream":true,"anthropic_version":"bedrock-2023-05-31",\#(messages)}"#, "extraneous key [stream]"),
            (#"{\#(messages)}"#, "required key [anthropic_version] not found"),
            (#"{"anthropic_version":"vertex-2023-10-16",\#(messages)}"#, "bedrock-2023-05-31"),
            (#"{"anthropic_version":"bedrock-2023-05-31","anthropic_beta":"b-1",\#(messages)}"#, "anthropic_beta"),
            (#"{"anthropic_version":"bedrock-2023-05-31","messages":[]}"#, "max_tokens"),
        ] {
            let result = try Self.signedPost(region, path: path, body: body, unixSeconds: clock.wallTime())
            #expect(result.status == 400 && result.header("x-amzn-errortype")?.hasPrefix("ValidationException:") == true, "\(body)")
            #expect(result.body.contains(expected), "\(result.body)")
        }
        let unknown = try Self.signedPost(region, path: "/model/\(Self.modelID)/converse", body: Self.bedrockBody, unixSeconds: clock.wallTime())
        #expect(unknown.status == 404 && unknown.header("x-amzn-errortype")?.hasPrefix("ResourceNotFoundException") == true)
    }

    @Test func bedrockStreamsEventStreamFramesTheGatewayDecoderReads() throws {
        let clock = ManualClock()
        let simulator = try Self.bedrockSimulator(clock: clock)
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "bedrock"))
        let folder = try TemporaryDirectory("cloudsim")
        let output = folder.url.appendingPathComponent("stream.bin")
        let result = try Self.signedPost(
            region, path: "/model/\(Self.modelID)/invoke-with-response-stream", body: Self.bedrockBody,
            unixSeconds: clock.wallTime(), output: output)
        #expect(result.status == 200 && result.header("content-type") == "application/vnd.amazon.eventstream")
        var decoder = EventStreamDecoder()
        let frames = try decoder.feed([UInt8](try Data(contentsOf: output)))
        try decoder.finish()
        let events = frames.map { BedrockStreamRelay.relay($0) }
        let names = events.map { relayed -> String in
            if case .event(let name, _) = relayed { return name }
            return "not an event"
        }
        #expect(names.first == "message_start" && names.last == "message_stop", "\(names)")
        #expect(names.contains("content_block_delta") && !names.contains("not an event"))
        #expect(frames.allSatisfy { $0.string(":event-type") == "chunk" && $0.string(":message-type") == "event" })
        // A stream error midway is Bedrock's modelled exception, not a chunk.
        let cut = try Self.signedPost(
            region, path: "/model/\(Self.modelID)/invoke-with-response-stream", body: Self.bedrockBody,
            unixSeconds: clock.wallTime(), output: output, extra: ["x-sim-fault": "stream_error"])
        #expect(cut.status == 200)
        var second = EventStreamDecoder()
        let last = try #require(try second.feed([UInt8](try Data(contentsOf: output))).last)
        #expect(last.string(":message-type") == "exception" && last.string(":exception-type") == "serviceUnavailableException")
        if case .error(let error) = BedrockStreamRelay.relay(last) { #expect(error.type == .overloaded) } else { Issue.record("not an error") }
    }

    @Test func theSimulatorsFramesMatchTheGatewaysEncoderByteForByte() {
        let payload = Array(#"{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0="}"#.utf8)
        let headers = [(":event-type", "chunk"), (":content-type", "application/json"), (":message-type", "event")]
        #expect(EventStreamFrames.message(headers: headers, payload: payload) == EventStreamEncoder.encode(headers: headers, payload: payload))
        #expect(EventStreamFrames.base64(Array(#"{"type":"message_stop"}"#.utf8)) == "eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0=")
        #expect(EventStreamFrames.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func bedrockFaultsComeInBedrocksShapes() throws {
        let clock = ManualClock()
        let simulator = try Self.bedrockSimulator(clock: clock)
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "bedrock"))
        let path = "/model/\(Self.modelID)/invoke"
        for (fault, status, type) in [
            ("429", 429, "ThrottlingException"), ("529", 503, "ServiceUnavailableException"),
            ("503", 503, "ServiceUnavailableException"), ("504", 408, "ModelTimeoutException"),
        ] {
            let result = try Self.signedPost(
                region, path: path, body: Self.bedrockBody, unixSeconds: clock.wallTime(),
                extra: ["x-sim-fault": fault])
            #expect(result.status == status && result.header("x-amzn-errortype")?.hasPrefix(type + ":") == true, "\(fault)")
            #expect(result.header("retry-after") == nil)
            let mapped = CloudErrorMapping.bedrock(
                status: result.status, errorType: result.header("x-amzn-errortype"),
                body: Array(result.body.utf8))
            #expect(mapped.type == [429: .rateLimit, 503: .overloaded, 408: .timeout][status])
        }
        // The region's fault settings (and schedule) apply as to an Anthropic region.
        region.setFaults(FaultSettings(errorRatios: [429: 1]))
        let throttled = try Self.signedPost(region, path: path, body: Self.bedrockBody, unixSeconds: clock.wallTime())
        #expect(throttled.status == 429 && throttled.header("x-amzn-errortype")?.hasPrefix("ThrottlingException:") == true)
    }

    // MARK: Vertex

    static let email = "sim@sim-project.iam.gserviceaccount.com"

    static func vertexSimulator(clock: ManualClock, key: RSAKey) throws -> Simulator {
        let region = SimulatedRegionConfig(name: "vertex", kind: .vertex(project: "sim-project", location: "us-east5"))
        let account = SimulatedServiceAccount(clientEmail: email, publicKeyPEM: try key.publicKeyPEM(), tokenTTL: 600)
        let simulator = Simulator(config: SimulatorConfig(seed: 4, regions: [region], gcp: account), clock: clock)
        try simulator.start()
        return simulator
    }

    static func serviceAccount(_ key: RSAKey, email: String = email, tokenURI: String) throws -> ServiceAccountKey {
        let json =
            #"{"type":"service_account","client_email":"\#(email)","private_key":"\#(JSONText.escape(try key.privateKeyPEM()))","token_uri":"\#(tokenURI)"}"#
        return try ServiceAccountKey(json: Array(json.utf8), origin: "test")
    }

    static func exchange(_ assertion: String, at url: String) throws -> CurlResult {
        try Curl.request(
            url, headers: ["content-type": "application/x-www-form-urlencoded"],
            extra: ["--data-binary", "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"])
    }

    @Test func vertexWantsATokenFromAVerifiedServiceAccountJWT() throws {
        let clock = ManualClock()
        let key = try RSAKey.generate()
        let simulator = try Self.vertexSimulator(clock: clock, key: key)
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "vertex"))
        let tokenURL = region.baseURL + "/token"
        let prefix = region.baseURL + "/v1/projects/sim-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929"
        let body = #"{"anthropic_version":"vertex-2023-10-16","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}"#

        let anonymous = try Curl.request(prefix + ":rawPredict", json: body)
        #expect(anonymous.status == 401 && anonymous.body.contains("UNAUTHENTICATED"))
        // Signed by another key, for another audience, by another account: all refused.
        let stranger = try Self.serviceAccount(try RSAKey.generate(), tokenURI: tokenURL).assertion(unixSeconds: clock.wallTime())
        #expect(try Self.exchange(stranger, at: tokenURL).body.contains("Invalid JWT Signature."))
        let elsewhere = try Self.serviceAccount(key, tokenURI: "https://oauth2.googleapis.com/token").assertion(unixSeconds: clock.wallTime())
        #expect(try Self.exchange(elsewhere, at: tokenURL).body.contains("audience"))
        let impostor = try Self.serviceAccount(key, email: "other@x.iam.gserviceaccount.com", tokenURI: tokenURL)
            .assertion(unixSeconds: clock.wallTime())
        #expect(try Self.exchange(impostor, at: tokenURL).body.contains("issuer"))
        let old = try Self.serviceAccount(key, tokenURI: tokenURL).assertion(unixSeconds: clock.wallTime() - 3700)
        #expect(try Self.exchange(old, at: tokenURL).status == 400)

        let granted = try Self.exchange(try Self.serviceAccount(key, tokenURI: tokenURL).assertion(unixSeconds: clock.wallTime()), at: tokenURL)
        #expect(granted.status == 200, "\(granted.body)")
        let token = try #require(jsonObject(granted.body)?["access_token"] as? String)
        #expect(jsonObject(granted.body)?["expires_in"] as? Int == 600)
        let bearer = ["authorization": "Bearer \(token)"]
        let plain = try Curl.request(prefix + ":rawPredict", json: body, headers: bearer)
        #expect(plain.status == 200 && jsonObject(plain.body)?["model"] as? String == "claude-sonnet-4-5@20250929", "\(plain.body)")
        let streamBody = body.replacingOccurrences(of: #""max_tokens""#, with: #""stream":true,"max_tokens""#)
        let streamed = try Curl.request(prefix + ":streamRawPredict", json: streamBody, headers: bearer)
        #expect(streamed.header("content-type")?.hasPrefix("text/event-stream") == true)
        #expect(parseSSE(streamed.body).last?.name == "message_stop")
        // The rewrites: no model, Vertex's version, stream exactly on :streamRawPredict.
        #expect(try Curl.request(prefix + ":rawPredict", json: streamBody, headers: bearer).body.contains("INVALID_ARGUMENT"))
        #expect(try Curl.request(prefix + ":streamRawPredict", json: body, headers: bearer).status == 400)
        let withModel = body.replacingOccurrences(of: "{", with: #"{"model":"claude","#)
        #expect(try Curl.request(prefix + ":rawPredict", json: withModel, headers: bearer).body.contains("extraneous key [model]"))
        let bedrockVersion = body.replacingOccurrences(of: "vertex-2023-10-16", with: "bedrock-2023-05-31")
        #expect(try Curl.request(prefix + ":rawPredict", json: bedrockVersion, headers: bearer).status == 400)
        let otherProject = prefix.replacingOccurrences(of: "sim-project", with: "other")
        #expect(try Curl.request(otherProject + ":rawPredict", json: body, headers: bearer).status == 404)
        // Faults in Google's shape, 529 as the model's own overloaded error.
        let exhausted = try Curl.request(prefix + ":rawPredict", json: body, headers: bearer.merging(["x-sim-fault": "429"]) { $1 })
        #expect(exhausted.status == 429 && exhausted.body.contains("RESOURCE_EXHAUSTED"))
        #expect(CloudErrorMapping.vertex(status: 429, body: Array(exhausted.body.utf8)).type == .rateLimit)
        let overloaded = try Curl.request(prefix + ":rawPredict", json: body, headers: bearer.merging(["x-sim-fault": "529"]) { $1 })
        #expect(overloaded.status == 529 && CloudErrorMapping.vertex(status: 529, body: Array(overloaded.body.utf8)).type == .overloaded)
        // Tokens expire with their TTL on the simulator's clock.
        clock.advance(seconds: 601)
        #expect(try Curl.request(prefix + ":rawPredict", json: body, headers: bearer).status == 401)
    }

    @Test func configReadsKindsAndAsksForTheAccounts() throws {
        let pem = try RSAKey.generate().publicKeyPEM()
        let indented = pem.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
        let config = try SimulatorConfig.parse(
            """
            aws: { access_key_id: AKIA1, secret_access_key: s3cret }
            gcp:
              client_email: sa@p.iam.gserviceaccount.com
              token_ttl: 10m
              public_key: |
            \(indented)
            regions:
              - { name: a }
              - { name: b, kind: bedrock, aws_region: us-west-2 }
              - { name: v, kind: vertex, project: p, location: global }
            """)
        #expect(config.regions.map(\.kind) == [.anthropic, .bedrock(awsRegion: "us-west-2"), .vertex(project: "p", location: "global")])
        #expect(config.aws?.accessKeyID == "AKIA1" && config.gcp?.tokenTTL == 600)
        #expect(throws: (any Error).self) {
            try SimulatorConfig.parse("regions:\n  - { name: b, kind: bedrock, aws_region: us-east-1 }\n")
        }
        do {
            _ = try SimulatorConfig.parse("regions:\n  - { name: b, kind: bedrok, project: p }\n  - { name: v, kind: vertex, aws_region: x }\n")
            Issue.record("accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("'kind' must be anthropic, bedrock or vertex, not 'bedrok'"))
            #expect(text.contains("'aws_region' belongs to a region of another kind"))
            #expect(text.contains("'project'"), "\(text)")
        }
    }
}
