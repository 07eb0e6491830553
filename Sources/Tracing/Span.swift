/// One finished span, ready to export. Built from what the proxy recorded, never from a
/// body: no prompt, no answer, no key is ever an attribute.
public struct Span: Sendable, Equatable {
    public enum Kind: Int, Sendable {
        case `internal` = 1
        case server = 2
        case client = 3
    }

    public enum Status: Sendable, Equatable {
        case unset
        case ok
        case error(String)
    }

    public var traceID: [UInt8]
    public var spanID: [UInt8]
    public var parentSpanID: [UInt8]?
    /// The caller's span is in another process (a received `traceparent`).
    public var parentIsRemote: Bool
    public var traceState: String?
    public var name: String
    public var kind: Kind
    public var startNanos: UInt64
    public var endNanos: UInt64
    public var attributes: [(key: String, value: SpanValue)]
    public var status: Status
    public var flags: UInt8

    public init(
        traceID: [UInt8], spanID: [UInt8], parentSpanID: [UInt8]? = nil, parentIsRemote: Bool = false,
        traceState: String? = nil, name: String, kind: Kind, startNanos: UInt64, endNanos: UInt64,
        attributes: [(key: String, value: SpanValue)] = [], status: Status = .unset, flags: UInt8 = 1
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.parentIsRemote = parentIsRemote
        self.traceState = traceState
        self.name = name
        self.kind = kind
        self.startNanos = startNanos
        self.endNanos = endNanos
        self.attributes = attributes
        self.status = status
        self.flags = flags
    }

    public static func == (lhs: Span, rhs: Span) -> Bool {
        lhs.traceID == rhs.traceID && lhs.spanID == rhs.spanID && lhs.parentSpanID == rhs.parentSpanID
            && lhs.parentIsRemote == rhs.parentIsRemote && lhs.traceState == rhs.traceState && lhs.name == rhs.name
            && lhs.kind == rhs.kind && lhs.startNanos == rhs.startNanos && lhs.endNanos == rhs.endNanos
            && lhs.status == rhs.status && lhs.flags == rhs.flags
            && lhs.attributes.elementsEqual(rhs.attributes) { $0.key == $1.key && $0.value == $1.value }
    }

    /// Unix nanoseconds of a wall-clock time in seconds.
    public static func nanos(_ seconds: Double) -> UInt64 {
        seconds > 0 ? UInt64((seconds * 1_000_000_000).rounded()) : 0
    }
}

/// An attribute value (OTLP `AnyValue`: the scalar kinds Ballast uses).
public enum SpanValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
}
