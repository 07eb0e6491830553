/// Counters and sizes of a `ResponseCache`, for `/metrics` (as `ballast_cache_*`).
/// Counters only grow; `entries`, `bytes`, `memory*` and `pendingWrites` are current values.
public struct ResponseCacheStats: Sendable, Equatable {
    /// Fresh answers served.
    public var hits = 0
    /// Expired answers served because the caller allowed stale ones (degradation).
    public var staleHits = 0
    /// Lookups that served nothing (includes fingerprint mismatches and expired entries
    /// when stale was not allowed).
    public var misses = 0
    /// Lookups whose entry belonged to another credential (a hash collision or a bug: the
    /// key already includes the credential). Never served.
    public var fingerprintMismatches = 0
    /// Answers stored.
    public var stores = 0
    /// Answers not stored because they were larger than `maxEntryBytes`.
    public var rejectedTooLarge = 0
    /// Answers removed to stay within `maxEntries` / `maxBytes`.
    public var evictions = 0
    /// Answers removed because they were older than expiry plus `staleRetention`.
    public var expirations = 0
    /// Hits whose body had to be read from SQLite (not in the memory front).
    public var diskReads = 0
    /// Failed write batches (their answers go on being served from memory).
    public var writeErrors = 0
    /// Failed row reads (served as misses).
    public var readErrors = 0
    /// Answers kept in memory only because the writer was too far behind.
    public var droppedWrites = 0

    /// Answers kept now.
    public var entries = 0
    /// Bytes of their bodies.
    public var bytes = 0
    /// Answers whose body is in the memory front.
    public var memoryEntries = 0
    public var memoryBytes = 0
    /// Writes waiting for the writer thread.
    public var pendingWrites = 0

    public init() {}
}
