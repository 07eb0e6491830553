import BallastConfig
import BallastCore
import Cache
import Resilience
import Rules
import Upstream
import JSON

/// The parsers that read bytes Ballast does not control, each with the one entry point that
/// both its libFuzzer target (`ballast-fuzz`, built by `make fuzz`) and the corpus regression
/// test (`FuzzCorpusTests`, in `swift test`) call. An input that crashed once is kept in
/// `Fuzz/corpus/<name>/`, so the crash stays fixed (see docs/fuzzing.md).
///
/// An entry must return on every input; where a parser promises more than not crashing (a
/// round trip, chunking that does not change the result), the entry checks it and traps when
/// it does not hold, so the fuzzer reports it like a crash.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case ruleExpression = "rule-expression"
    case configYAML = "config-yaml"
    case ruleYAML = "rule-yaml"
    case jsonScanner = "json-scanner"
    case cacheJSON = "cache-json"
    case sseScanner = "sse-scanner"
    case rateLimitHeaders = "rate-limit-headers"
    case upstreamHead = "upstream-head"
    case messageUsage = "message-usage"
    case traceparent = "traceparent"
    case eventStream = "event-stream"
    case cloudCredentialAnswers = "cloud-credential-answers"
    case cloudErrors = "cloud-errors"

    /// Feeds one input to the parser.
    public func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .ruleExpression: Self.ruleExpression(data)
        case .configYAML: Self.configYAML(data)
        case .ruleYAML: Self.ruleYAML(data)
        case .jsonScanner: Self.jsonScanner(data)
        case .cacheJSON: Self.cacheJSON(data)
        case .sseScanner: Self.sseScanner(data)
        case .rateLimitHeaders: Self.rateLimitHeaders(data)
        case .upstreamHead: Self.upstreamHead(data)
        case .messageUsage: Self.messageUsage(data)
        case .traceparent: Self.traceparent(data)
        case .eventStream: Self.eventStream(data)
        case .cloudCredentialAnswers: Self.cloudCredentialAnswers(data)
        case .cloudErrors: Self.cloudErrors(data)
        }
    }

    public func run(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { run($0) }
    }

    // MARK: Rules and config

    private static func ruleExpression(_ data: UnsafeRawBufferPointer) {
        let text = String(decoding: data, as: UTF8.self)
        if case .success(let compiled) = CompiledExpression.compile(text, regions: ["us", "eu"]) {
            _ = compiled.evaluate(source: SampleWindowSource(), wallTime: 1_000_000, regions: ["us", "eu"])
        }
    }

    private static func configYAML(_ data: UnsafeRawBufferPointer) {
        _ = try? GatewayConfig.parse(String(decoding: data, as: UTF8.self), file: "fuzz.yaml")
    }

    private static func ruleYAML(_ data: UnsafeRawBufferPointer) {
        _ = RuleSet.parse(
            String(decoding: data, as: UTF8.self), file: "fuzz.yaml",
            context: RuleContext(regions: [RuleRegion(name: "us", weight: 1), RuleRegion(name: "eu", weight: 0)]))
    }

    // MARK: JSON

    private static func jsonScanner(_ data: UnsafeRawBufferPointer) {
        _ = try? JSONScanner.scanObject(Array(data), fields: ["model", "stream", "max_tokens"])
    }

    /// Serialising a parsed document and parsing it again gives the same bytes.
    private static func cacheJSON(_ data: UnsafeRawBufferPointer) {
        guard let value = try? JSONParser.parse(Array(data)) else { return }
        let once = value.serialized()
        guard let again = try? JSONParser.parse(once) else {
            fatalError("cache JSON: its own serialisation does not parse: \(value.serializedString())")
        }
        precondition(again.serialized() == once, "cache JSON: the round trip changed the document")
        _ = value.canonicalBytes()
    }

    // MARK: Upstream answers

    /// The first byte picks a chunk size: the events must not depend on how the stream was cut.
    private static func sseScanner(_ data: UnsafeRawBufferPointer) {
        guard let first = data.first else { return }
        let body = UnsafeRawBufferPointer(rebasing: data.dropFirst())
        var whole = SSEScanner(maxEventBytes: 4096)
        let expected = whole.feed(body)
        var chunked = SSEScanner(maxEventBytes: 4096)
        let size = Int(first % 64) + 1
        var events: [SSEEvent] = []
        var start = 0
        while start < body.count {
            let end = min(start + size, body.count)
            events += chunked.feed(UnsafeRawBufferPointer(rebasing: body[start..<end]))
            start = end
        }
        precondition(events == expected, "SSE: chunks of \(size) bytes gave other events than the whole stream")
    }

    private static func rateLimitHeaders(_ data: UnsafeRawBufferPointer) {
        let parsed = RateLimitHeaders(headerFields(data))
        _ = parsed.distrust(wallTime: 1_700_000_000)
        _ = parsed.tokenDimensions
    }

    private static func upstreamHead(_ data: UnsafeRawBufferPointer) {
        var parser = UpstreamHeadParser()
        var start = 0
        while start < data.count {
            let end = data[start...].firstIndex(of: 0x0A).map { $0 + 1 } ?? data.count
            if parser.consume(UnsafeRawBufferPointer(rebasing: data[start..<end])) {
                _ = RateLimitHeaders(parser.headers)
            }
            start = end
        }
    }

    /// `name: value` lines, as the upstream client stores them (names lower-cased).
    private static func headerFields(_ data: UnsafeRawBufferPointer) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for line in data.split(separator: 0x0A) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
            headers.add(name, String(decoding: line[(colon + 1)...], as: UTF8.self))
        }
        return headers
    }
}
