import BallastCore
/// The one-shot reply channel a handler gets with each request.
///
/// `respond` may be called from any thread, once; later calls are ignored. A handler that
/// waits on slow work (an upstream call) registers `onCancel` to learn that the client or
/// the server gave up, so it can abort that work.
public final class HTTPResponder: Sendable {
    private let exchange: Exchange

    init(exchange: Exchange) {
        self.exchange = exchange
    }

    public func respond(_ response: HTTPResponse) {
        exchange.respond(response)
    }

    /// Drops the connection without any response (the client sees an empty reply / a reset),
    /// for simulating a failed upstream. Counts as the one answer; ignored after `respond`.
    public func abortConnection() {
        exchange.abortConnection()
    }

    /// Runs `handler` once if the exchange ends before a complete response was sent
    /// (client disconnect, server stop). Runs at once if that has already happened.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        exchange.onCancel(handler)
    }
}
