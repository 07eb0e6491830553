package import BallastCore
import Dispatch
package import Logging
import Synchronization
package import Telemetry
import SQLite

/// The region that created each message batch and file, so that requests for it go there.
///
/// Lookups are in memory; a new home is written to the store on a queue of its own, off the
/// request path, and the table is read back at start, so a restart does not send a batch's
/// results request to a region that never saw the batch. Homes expire after `lifetime`.
package final class ObjectHomes: Sendable {
    /// A batch's results stay downloadable for 29 days after it was created; files live until
    /// deleted, but one not used for a month is most likely gone with its batch.
    static let lifetime: Double = 30 * 86_400
    /// Beyond this many, the oldest home is forgotten (its requests are then routed as any other).
    static let capacity = 100_000

    private let entries: Mutex<[String: ObjectHomeRow]>
    private let database: Mutex<SQLiteDatabase?>
    private let queue = DispatchQueue(label: "ballast.object-homes")
    private let clock: any TimeSource
    private let logger: Logger?
    private let failures = Atomic<Int>(0)

    /// - Parameter store: where homes are kept across restarts; nil keeps them in memory only.
    package init(store: TelemetryStore? = nil, clock: any TimeSource = SystemClock(), logger: Logger? = nil) {
        self.clock = clock
        self.logger = logger
        var loaded: [String: ObjectHomeRow] = [:]
        var connection: SQLiteDatabase?
        if let store {
            do {
                let opened = try store.openConnection()
                for row in try ObjectHomeTable.load(now: clock.wallTime(), limit: Self.capacity, on: opened) {
                    loaded[row.id] = row
                }
                connection = opened
            } catch {
                failures.add(1, ordering: .relaxed)
                logger?.error(
                    "cannot read the object homes; batch and file reads are routed as any request until they are written again",
                    metadata: ["error": "\(error)"])
            }
        }
        entries = Mutex(loaded)
        database = Mutex(connection)
    }

    /// The region that created `id`, if it is known and not expired.
    func home(of id: String) -> String? {
        let now = clock.wallTime()
        return entries.withLock { entries in
            guard let row = entries[id], row.expires > now else { return nil }
            return row.region
        }
    }

    func record(id: String, region: String) {
        let now = clock.wallTime()
        let row = ObjectHomeRow(id: id, region: region, created: now, expires: now + Self.lifetime)
        entries.withLock { entries in
            if entries.count >= Self.capacity, entries[id] == nil,
                let oldest = entries.min(by: { $0.value.created < $1.value.created })?.key
            {
                entries[oldest] = nil
            }
            entries[id] = row
        }
        persist { try ObjectHomeTable.save(row, on: $0) }
    }

    func forget(id: String) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
        persist { try ObjectHomeTable.forget(id: id, on: $0) }
    }

    var count: Int { entries.withLock { $0.count } }

    /// Homes that could not be written or read (`ballast_object_home_store_failures_total`).
    var storeFailures: Int { failures.load(ordering: .relaxed) }

    /// Waits for the writes queued so far (tests and shutdown).
    package func flush() { queue.sync {} }

    private func persist(_ write: @escaping @Sendable (SQLiteDatabase) throws -> Void) {
        queue.async { [self] in
            database.withLock { database in
                guard let database else { return }
                do {
                    try write(database)
                } catch {
                    failures.add(1, ordering: .relaxed)
                    logger?.error(
                        "cannot store an object's home region; it holds in memory until a restart",
                        metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
