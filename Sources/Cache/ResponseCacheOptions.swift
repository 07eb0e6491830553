/// Bounds and pacing of a `ResponseCache`.
public struct ResponseCacheOptions: Sendable, Equatable {
    /// At most this many answers are kept (on disk; the memory front holds a subset).
    public var maxEntries: Int
    /// The bodies of all kept answers add up to at most this many bytes.
    public var maxBytes: Int
    /// Answers larger than this are not stored at all (never more than `maxBytes`).
    public var maxEntryBytes: Int
    /// Bodies of recently used answers kept in memory, so hits need no SQLite read.
    public var memoryBytes: Int
    /// How long past its expiry an answer is still kept for stale answers (degradation);
    /// after that it is removed even when there is room.
    public var staleRetention: Double
    /// The writer thread commits what is pending at least this often, seconds.
    public var flushInterval: Double
    /// The writer is woken early when this many writes are pending.
    public var batchSize: Int
    /// When the writer falls this far behind (bytes of bodies waiting), new answers are
    /// kept in memory only, so a stuck disk cannot grow memory without bound.
    public var maxPendingBytes: Int

    public init(
        maxEntries: Int = 10_000, maxBytes: Int = 64_000_000, maxEntryBytes: Int = 4 << 20,
        memoryBytes: Int = 16 << 20, staleRetention: Double = 86_400, flushInterval: Double = 0.05,
        batchSize: Int = 256, maxPendingBytes: Int = 32 << 20
    ) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.maxEntryBytes = maxEntryBytes
        self.memoryBytes = memoryBytes
        self.staleRetention = staleRetention
        self.flushInterval = flushInterval
        self.batchSize = batchSize
        self.maxPendingBytes = maxPendingBytes
    }
}
