import Upstream

enum CloudTimeouts {
    /// Token endpoints answer in milliseconds; ten seconds leaves room for a slow one and keeps
    /// requests that wait for a first token from waiting past their own timeouts.
    static let token = UpstreamTimeouts(connect: 5, firstByte: 10, idle: 10, total: 10)
}
