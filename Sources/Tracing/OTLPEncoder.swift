/// Encodes spans as an OTLP `ExportTraceServiceRequest` (opentelemetry/proto/collector/trace/
/// v1/trace_service.proto), the body of a `POST /v1/traces` with
/// `Content-Type: application/x-protobuf`. Field numbers are those of
/// opentelemetry-proto's trace/v1/trace.proto, common/v1/common.proto and
/// resource/v1/resource.proto.
public struct OTLPEncoder: Sendable {
    /// The resource's attributes (`service.name`, `service.version`, ...).
    public var resource: [(key: String, value: SpanValue)]
    public var scopeName: String
    public var scopeVersion: String

    public init(resource: [(key: String, value: SpanValue)], scopeName: String = "ballast", scopeVersion: String) {
        self.resource = resource
        self.scopeName = scopeName
        self.scopeVersion = scopeVersion
    }

    public func encode(_ spans: [Span]) -> [UInt8] {
        var request = ProtobufWriter()
        // ExportTraceServiceRequest.resource_spans = 1
        request.messageField(1) { resourceSpans in
            // ResourceSpans.resource = 1
            resourceSpans.messageField(1) { resource in
                for attribute in self.resource { resource.messageField(1) { Self.keyValue(&$0, attribute) } }
            }
            // ResourceSpans.scope_spans = 2
            resourceSpans.messageField(2) { scopeSpans in
                scopeSpans.messageField(1) { scope in  // ScopeSpans.scope: InstrumentationScope
                    scope.stringField(1, scopeName)
                    scope.stringField(2, scopeVersion)
                }
                for span in spans { scopeSpans.messageField(2) { Self.span(&$0, span) } }
            }
        }
        return request.bytes
    }

    private static func span(_ out: inout ProtobufWriter, _ span: Span) {
        out.bytesField(1, span.traceID)
        out.bytesField(2, span.spanID)
        if let state = span.traceState { out.stringField(3, state) }
        if let parent = span.parentSpanID { out.bytesField(4, parent) }
        out.stringField(5, span.name)
        out.varintField(6, UInt64(span.kind.rawValue))
        out.fixed64Field(7, span.startNanos)
        out.fixed64Field(8, span.endNanos)
        for attribute in span.attributes { out.messageField(9) { keyValue(&$0, attribute) } }
        switch span.status {
        case .unset:
            break
        case .ok:
            out.messageField(15) { $0.varintField(3, 1) }  // Status.code = STATUS_CODE_OK
        case .error(let message):
            out.messageField(15) { status in
                if !message.isEmpty { status.stringField(2, message) }
                status.varintField(3, 2)  // STATUS_CODE_ERROR
            }
        }
        // Span.flags: the W3C trace flags in bits 0-7; bit 8 says bit 9 is known, bit 9 that
        // the parent is remote.
        let remote: UInt32 = span.parentSpanID == nil ? 0 : (span.parentIsRemote ? 0x300 : 0x100)
        out.fixed32Field(16, UInt32(span.flags) | remote)
    }

    private static func keyValue(_ out: inout ProtobufWriter, _ attribute: (key: String, value: SpanValue)) {
        out.stringField(1, attribute.key)
        out.messageField(2) { value in  // AnyValue
            switch attribute.value {
            case .string(let text): value.stringField(1, text)
            case .bool(let flag): value.varintField(2, flag ? 1 : 0)
            case .int(let number): value.varintField(3, UInt64(bitPattern: Int64(number)))
            case .double(let number): value.fixed64Field(4, number.bitPattern)
            }
        }
    }
}
