extension TelemetryMigration {
    /// Ballast's schema, in order. Append new steps; never edit or reorder a released one
    /// (databases in the field have already applied it under its name).
    public static let schema: [TelemetryMigration] = [
        TelemetryMigration(
            name: "0001_initial",
            sql: """
                -- One row per client request, as handed to the writer. No bodies, no keys, no
                -- headers: RequestRecord carries none. id is the sequence number the writer
                -- assigned at hand-off, so attempts can point at it before either is written.
                CREATE TABLE requests (
                    id            INTEGER PRIMARY KEY,
                    time          REAL    NOT NULL,  -- arrival, Unix seconds
                    region        TEXT,              -- region of the final attempt
                    model         TEXT,
                    route         TEXT    NOT NULL,
                    status        INTEGER NOT NULL,
                    outcome       TEXT    NOT NULL,  -- OutcomeClass raw value
                    error_type    TEXT,
                    attempts      INTEGER NOT NULL,
                    hedged        INTEGER NOT NULL,
                    cache_hit     INTEGER NOT NULL,
                    coalesced     INTEGER NOT NULL,
                    streamed      INTEGER NOT NULL,
                    latency       REAL    NOT NULL,  -- seconds, arrival to last byte
                    ttfb          REAL,              -- seconds, arrival to response head
                    input_tokens  INTEGER NOT NULL,
                    output_tokens INTEGER NOT NULL,
                    bytes_sent    INTEGER NOT NULL
                );
                CREATE INDEX requests_time ON requests(time);
                CREATE INDEX requests_region ON requests(region, id);

                -- One row per upstream attempt. request_id = requests.id (no foreign key:
                -- retention deletes both tables independently, in small batches).
                CREATE TABLE attempts (
                    id          INTEGER PRIMARY KEY,
                    request_id  INTEGER NOT NULL,
                    time        REAL    NOT NULL,
                    region      TEXT    NOT NULL,
                    model       TEXT,
                    attempt     INTEGER NOT NULL,  -- AttemptRecord.index, 1 for the first
                    status      INTEGER NOT NULL,
                    outcome     TEXT    NOT NULL,
                    error_type  TEXT,
                    hedge       INTEGER NOT NULL,
                    cancelled   INTEGER NOT NULL,
                    latency     REAL    NOT NULL,
                    ttfb        REAL
                );
                CREATE INDEX attempts_time ON attempts(time);

                -- Rollups per time bucket x region x model ('' for none). bucket = Unix
                -- seconds of the bucket's start; a request belongs to the bucket of its
                -- completion, floor(time + latency). Histograms: LatencyHistogram text form.
                CREATE TABLE rollup_second (
                    bucket           INTEGER NOT NULL,
                    region           TEXT    NOT NULL,
                    model            TEXT    NOT NULL,
                    requests         INTEGER NOT NULL,
                    outcome_success  INTEGER NOT NULL,
                    outcome_client   INTEGER NOT NULL,
                    outcome_upstream INTEGER NOT NULL,
                    outcome_local    INTEGER NOT NULL,
                    outcome_ballast  INTEGER NOT NULL,
                    status_429       INTEGER NOT NULL,
                    attempts         INTEGER NOT NULL,
                    attempts_429     INTEGER NOT NULL,
                    retries          INTEGER NOT NULL,
                    hedged           INTEGER NOT NULL,
                    cache_hits       INTEGER NOT NULL,
                    input_tokens     INTEGER NOT NULL,
                    output_tokens    INTEGER NOT NULL,
                    latency_sum      REAL    NOT NULL,
                    ttfb_sum         REAL    NOT NULL,
                    latency_hist     TEXT    NOT NULL,
                    ttfb_hist        TEXT    NOT NULL
                );
                CREATE UNIQUE INDEX rollup_second_key ON rollup_second(bucket, region, model);

                CREATE TABLE rollup_minute (
                    bucket           INTEGER NOT NULL,
                    region           TEXT    NOT NULL,
                    model            TEXT    NOT NULL,
                    requests         INTEGER NOT NULL,
                    outcome_success  INTEGER NOT NULL,
                    outcome_client   INTEGER NOT NULL,
                    outcome_upstream INTEGER NOT NULL,
                    outcome_local    INTEGER NOT NULL,
                    outcome_ballast  INTEGER NOT NULL,
                    status_429       INTEGER NOT NULL,
                    attempts         INTEGER NOT NULL,
                    attempts_429     INTEGER NOT NULL,
                    retries          INTEGER NOT NULL,
                    hedged           INTEGER NOT NULL,
                    cache_hits       INTEGER NOT NULL,
                    input_tokens     INTEGER NOT NULL,
                    output_tokens    INTEGER NOT NULL,
                    latency_sum      REAL    NOT NULL,
                    ttfb_sum         REAL    NOT NULL,
                    latency_hist     TEXT    NOT NULL,
                    ttfb_hist        TEXT    NOT NULL
                );
                CREATE UNIQUE INDEX rollup_minute_key ON rollup_minute(bucket, region, model);

                -- Every action Ballast or an operator took.
                CREATE TABLE audit (
                    id      INTEGER PRIMARY KEY,
                    time    REAL NOT NULL,
                    kind    TEXT NOT NULL,
                    target  TEXT NOT NULL,
                    action  TEXT NOT NULL,
                    reason  TEXT NOT NULL,
                    actor   TEXT NOT NULL
                );
                CREATE INDEX audit_time ON audit(time);

                -- Persisted controller state and operator overrides, one JSON document per key.
                CREATE TABLE state (
                    key        TEXT PRIMARY KEY,
                    value      TEXT NOT NULL CHECK (json_valid(value)),
                    updated_at REAL NOT NULL
                );
                """),
        TelemetryMigration(
            name: "0002_request_canary",
            sql: """
                -- The canary a request matched and its side (old or new), so a canary's two
                -- sides can be compared after the fact; NULL outside canaries.
                ALTER TABLE requests ADD COLUMN canary TEXT;
                ALTER TABLE requests ADD COLUMN canary_side TEXT;
                """),
        TelemetryMigration(
            name: "0003_object_homes",
            sql: """
                -- The region that created each message batch and file: reads of an id go there,
                -- since no other region knows it. Kept until `expires` (wall time).
                CREATE TABLE object_homes (
                    id       TEXT PRIMARY KEY,
                    region   TEXT NOT NULL,
                    created  REAL NOT NULL,
                    expires  REAL NOT NULL
                );
                CREATE INDEX object_homes_expires ON object_homes(expires);
                """),
        TelemetryMigration(
            name: "0004_request_client",
            sql: """
                -- The client key's name (clients.keys) a request carried, so who spent what can be
                -- asked after the fact; NULL when it carried none. Never the key.
                ALTER TABLE requests ADD COLUMN client TEXT;
                """),
        TelemetryMigration(
            name: "0005_usage",
            sql: """
                -- Usage as the upstream billed it (docs/usage-and-tracing.md): the prompt-cache counts, whether the
                -- usage is known (`complete`, `partial` for a stream cut before its final
                -- message_delta, `none`, `invalid`), the cost under the price table, and the
                -- trace id. Per attempt too, so the tokens of losing hedges, discarded retries and
                -- cancelled streams (`overhead`) are known. Counts are NULL when unknown, never 0.
                ALTER TABLE requests ADD COLUMN cache_creation_tokens INTEGER;
                ALTER TABLE requests ADD COLUMN cache_read_tokens INTEGER;
                ALTER TABLE requests ADD COLUMN usage TEXT;
                ALTER TABLE requests ADD COLUMN cost_usd REAL;
                ALTER TABLE requests ADD COLUMN trace_id TEXT;
                ALTER TABLE requests ADD COLUMN credential TEXT;
                ALTER TABLE attempts ADD COLUMN input_tokens INTEGER;
                ALTER TABLE attempts ADD COLUMN output_tokens INTEGER;
                ALTER TABLE attempts ADD COLUMN cache_creation_tokens INTEGER;
                ALTER TABLE attempts ADD COLUMN cache_read_tokens INTEGER;
                ALTER TABLE attempts ADD COLUMN usage TEXT;
                ALTER TABLE attempts ADD COLUMN cost_usd REAL;
                ALTER TABLE attempts ADD COLUMN overhead TEXT;
                """),
    ]
}
