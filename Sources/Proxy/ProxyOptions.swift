public import Upstream

/// The request path's settings, derived from the config file.
public struct ProxyOptions: Sendable {
    /// Sent upstream when the client names no `anthropic-version`.
    public var defaultAnthropicVersion: String
    public var timeouts: UpstreamTimeouts
    /// Non-streaming responses up to this size are buffered and sent with a length;
    /// larger ones (and every SSE stream) are streamed through with back-pressure.
    public var maxBufferedResponseBytes: Int
    /// Bytes queued towards a slow client before the upstream transfer is paused.
    public var streamBufferBytes: Int
    /// Attempts per request when the connection to a region fails before the request
    /// was sent (each on another region).
    public var maxConnectAttempts: Int
    /// How long a request waits for a free slot under a region's concurrency limit before
    /// Ballast answers 529 itself.
    public var maxConcurrencyWait: Double
    /// The request body limit, as the server enforces it (for error messages).
    public var maxRequestBodyBytes: Int
    /// Deepest nesting of objects and arrays accepted in a Messages body (`server.max_json_depth`).
    public var maxJSONDepth: Int = 128
    /// Bytes an answer labelled `text/event-stream` may carry without completing an event
    /// before it is judged not SSE and ended with an `error` event (`server.max_sse_event_bytes`).
    public var maxSSEEventBytes: Int = 64 * 1024

    var maxRequestBodyDescription: String {
        maxRequestBodyBytes % (1024 * 1024) == 0 ? "\(maxRequestBodyBytes / (1024 * 1024)) MB" : "\(maxRequestBodyBytes) bytes"
    }

    public init(
        defaultAnthropicVersion: String = "2023-06-01", timeouts: UpstreamTimeouts = UpstreamTimeouts(),
        maxBufferedResponseBytes: Int = 4 * 1024 * 1024, streamBufferBytes: Int = 256 * 1024,
        maxConnectAttempts: Int = 2, maxConcurrencyWait: Double = 10,
        maxRequestBodyBytes: Int = 32 * 1024 * 1024
    ) {
        self.defaultAnthropicVersion = defaultAnthropicVersion
        self.timeouts = timeouts
        self.maxBufferedResponseBytes = maxBufferedResponseBytes
        self.streamBufferBytes = streamBufferBytes
        self.maxConnectAttempts = maxConnectAttempts
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxConcurrencyWait = maxConcurrencyWait
    }
}
