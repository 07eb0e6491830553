/// Receives one upstream call's events, always on the client's event-loop thread, in order:
/// at most one head, any number of body chunks, then exactly one completion.
///
/// Implementations must return quickly: the loop thread serves every transfer.
public protocol UpstreamTransferDelegate: AnyObject, Sendable {
    func upstreamDidReceiveHead(_ head: UpstreamResponseHead)
    /// Returns false to refuse the bytes for now (back-pressure): the transfer pauses and the
    /// same bytes are offered again after `UpstreamTransfer.resume()`.
    func upstreamDidReceive(_ bytes: UnsafeRawBufferPointer) -> Bool
    func upstreamDidComplete(_ completion: UpstreamCompletion)
}
