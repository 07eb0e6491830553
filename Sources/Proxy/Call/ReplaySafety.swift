public import Resilience

/// Whether sending a request upstream more than once is harmless, decided from its method and
/// path at the front door.
///
/// `POST /v1/messages` and `count_tokens` create nothing: a second copy costs tokens but
/// leaves no trace, so they are retried after reaching the upstream and hedged. Every other
/// write creates or changes something (`POST /v1/messages/batches` a batch, `POST /v1/files` a
/// file, a cancel, a delete, and whatever the API adds later): a slow one hedged or retried
/// after a timeout created a second batch (seen: one `POST /v1/files` to an upstream taking
/// 12 s arrived there three times). Those are sent once: retried only when the connection
/// failed before a byte of the request left, never hedged, and libcurl may not re-send them
/// on its own either (`UpstreamRequest.silentResend`).
public enum ReplaySafety: String, Sendable, Equatable {
    /// Sending it twice does no harm: retries and hedges as configured.
    case replayable
    /// Sending it twice may do something twice: at most one copy may reach the upstream.
    case once

    /// The writes that create nothing upstream (reads are replayable whatever their path).
    private static let replayableWrites: Set<String> = ["/v1/messages", "/v1/messages/count_tokens"]

    /// `path` without its query. Unknown methods and paths are `once`: an API that grows new
    /// writes must not get them duplicated by default.
    public static func of(method: String, path: String) -> ReplaySafety {
        switch method {
        case "GET", "HEAD", "OPTIONS":
            return .replayable
        case "POST":
            return replayableWrites.contains(path) ? .replayable : .once
        default:
            return .once
        }
    }

    /// Whether a retry may follow an attempt that ended with `failure`. A `once` request is
    /// repeated only when the upstream certainly never saw it (the connection was refused or
    /// never finished its handshake). The one replay after a 401 and a token refresh is
    /// decided before this and applies to every request: a 401 is answered before any work.
    public func mayRepeat(after failure: Failure) -> Bool {
        switch self {
        case .replayable: true
        case .once: failure.requestNeverSent
        }
    }

    /// Hedging sends a second copy while the first may still be working: only for replayable
    /// requests.
    public var mayHedge: Bool { self == .replayable }
}
