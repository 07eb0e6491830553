// SQLite telemetry store.
