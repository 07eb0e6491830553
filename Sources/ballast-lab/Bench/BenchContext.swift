import BallastTesting
import Foundation
import Upstream

/// What every scenario gets: a scratch directory, a seed, a load client, and the scale.
struct BenchContext: Sendable {
    let directory: URL
    let seed: UInt64
    /// 1 for the full suite; smaller for a quick run (durations are multiplied by it).
    let scale: Double

    func seconds(_ full: Double) -> Double { max(1, full * scale) }

    /// A fresh libcurl client for the load generator, with room for open-loop concurrency.
    func makeLoadClient() -> UpstreamClient {
        let client = UpstreamClient(options: UpstreamClientOptions(maxConnectionsPerHost: 256, maxConnections: 512))
        client.start()
        return client
    }

    func log(_ line: String) {
        FileHandle.standardError.write(Data("bench: \(line)\n".utf8))
    }
}
