import Synchronization

/// Requests each test upstream served, shared with the upstreams' handler threads.
final class RegionCounts: Sendable {
    let value = Mutex<[String: Int]>([:])
}
