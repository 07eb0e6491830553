import BallastCore
import SQLite

extension WriterWorker {
    /// Columns 22-27 of a request row: cache counts (NULL unless the usage is known at least
    /// in part), the usage state, the request's cost, its trace id and credential fingerprint.
    static func bindUsage(_ record: RequestRecord, to statement: SQLiteStatement) throws {
        let counted = record.usage.state == .complete || record.usage.state == .partial
        try statement.bind(counted ? record.usage.cacheCreationInputTokens : nil, at: 22)
        try statement.bind(counted ? record.usage.cacheReadInputTokens : nil, at: 23)
        try statement.bind(record.usage.state.rawValue, at: 24)
        try statement.bind(record.costUSD, at: 25)
        try statement.bind(record.traceID, at: 26)
        try statement.bind(record.credential, at: 27)
    }

    /// Columns 13-19 of an attempt row: its four counts (NULL when nothing of its usage is
    /// known), the usage state, its cost and, for tokens that bought nothing, why.
    static func bindUsage(_ record: AttemptRecord, to statement: SQLiteStatement) throws {
        let usage = record.spend.usage
        let counted = usage.state == .complete || usage.state == .partial
        try statement.bind(counted ? usage.inputTokens : nil, at: 13)
        try statement.bind(counted ? usage.outputTokens : nil, at: 14)
        try statement.bind(counted ? usage.cacheCreationInputTokens : nil, at: 15)
        try statement.bind(counted ? usage.cacheReadInputTokens : nil, at: 16)
        try statement.bind(usage.state.rawValue, at: 17)
        try statement.bind(record.spend.costUSD, at: 18)
        try statement.bind(record.spend.overhead?.rawValue, at: 19)
    }
}
