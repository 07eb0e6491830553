import BallastCore
import CloudRegions

/// The cloud regions' parsers of outside bytes: Bedrock's event stream, the credential
/// services' answers (STS, Google's token endpoint and metadata server, a service-account key
/// file) and the clouds' error bodies. SigV4 itself parses nothing from outside: Ballast signs.
extension FuzzTarget {
    /// The first byte picks a chunk size (low 6 bits) and whether the CRCs of the input are
    /// fixed up first (high bit): random bytes almost never pass both CRCs, so without the
    /// fix-up the fuzzer would rarely get past the prelude. Checks: the messages and the error
    /// do not depend on how the stream is cut; every decoded message encodes and decodes back
    /// to itself; each relays to SSE.
    static func eventStream(_ data: UnsafeRawBufferPointer) {
        guard let first = data.first else { return }
        var body = Array(data.dropFirst())
        if first & 0x80 != 0 { fixCRCs(&body) }
        // A small bound, so the fuzzer also reaches the length refusal.
        let bound = 4096
        let whole = decode(body, chunk: body.count, bound: bound)
        let size = Int(first & 0x3f) + 1
        let chunked = decode(body, chunk: size, bound: bound)
        precondition(
            whole.error == chunked.error,
            "event stream: chunks of \(size) gave \(String(describing: chunked.error)), "
                + "the whole body \(String(describing: whole.error))")
        if whole.error == nil {
            precondition(whole.messages == chunked.messages, "event stream: chunks of \(size) gave other messages")
        }
        for message in chunked.messages {
            var again = EventStreamDecoder(maxMessageBytes: 1 << 20)
            let encoded = EventStreamEncoder.encode(message)
            guard let decoded = try? again.feed(encoded), decoded == [message] else {
                fatalError("event stream: a decoded message does not survive encoding and decoding")
            }
            _ = BedrockStreamRelay.sse(BedrockStreamRelay.relay(message))
        }
    }

    private static func decode(_ body: [UInt8], chunk: Int, bound: Int) -> (messages: [EventStreamMessage], error: EventStreamError?) {
        var decoder = EventStreamDecoder(maxMessageBytes: bound)
        var messages: [EventStreamMessage] = []
        var start = 0
        do throws(EventStreamError) {
            while start < body.count {
                let end = min(start + max(1, chunk), body.count)
                messages += try decoder.feed(Array(body[start..<end]))
                start = end
            }
            try decoder.finish()
            return (messages, nil)
        } catch {
            return (messages, error)
        }
    }

    /// Writes the right prelude and message CRCs into every message the lengths delimit.
    private static func fixCRCs(_ body: inout [UInt8]) {
        var offset = 0
        while offset + 16 <= body.count {
            let total = body[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard total >= 16, offset + total <= body.count else { return }
            put(&body, offset + 8, CRC32.checksum(body[offset..<(offset + 8)]))
            put(&body, offset + total - 4, CRC32.checksum(body[offset..<(offset + total - 4)]))
            offset += total
        }
    }

    private static func put(_ body: inout [UInt8], _ at: Int, _ value: UInt32) {
        for index in 0..<4 { body[at + index] = UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * index)) }
    }

    /// One answer fed to every credential parser: the first byte picks the status (200 when
    /// even), the rest is the body.
    static func cloudCredentialAnswers(_ data: UnsafeRawBufferPointer) {
        guard let first = data.first else { return }
        let status = first % 2 == 0 ? 200 : 400 + Int(first % 200)
        let body = Array(data.dropFirst())
        let sts = STSWebIdentitySource(
            roleARN: "arn:aws:iam::123456789012:role/fuzz", tokenFile: "/dev/null",
            sessionName: "fuzz", endpoint: "https://sts.amazonaws.com")
        if case .success(let answer) = sts.parse(status: status, body: body, unixSeconds: 1_700_000_000) {
            _ = STSWebIdentitySource.credentials(from: answer.value)
        }
        _ = MetadataServerSource(host: "metadata.google.internal").parse(status: status, body: body, unixSeconds: 1_700_000_000)
        if let key = try? ServiceAccountKey(json: body, origin: "fuzz") {
            _ = ServiceAccountSource(account: key).parse(status: status, body: body, unixSeconds: 1_700_000_000)
        }
    }

    /// An error answer: the first line is Bedrock's `x-amzn-errortype` (and the status from
    /// its length), the rest the body, mapped as Bedrock's and as Vertex's. The mapped message
    /// stays bounded, as it reaches clients and logs.
    static func cloudErrors(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        let newline = bytes.firstIndex(of: 0x0a) ?? bytes.count
        let errorType = String(decoding: bytes[..<newline], as: UTF8.self)
        let body = newline < bytes.count ? Array(bytes[(newline + 1)...]) : []
        let status = 400 + newline % 200
        for mapped in [
            CloudErrorMapping.bedrock(status: status, errorType: errorType.isEmpty ? nil : errorType, body: body),
            CloudErrorMapping.vertex(status: status, body: body),
        ] {
            precondition(mapped.message.utf8.count <= 600, "cloud errors: an unbounded message")
            _ = mapped.jsonBody
        }
        _ = AWSTimestamp.parse(errorType)
    }
}
