import Foundation
import GRDB
import RolloutCore

/// The processed cursor (DMN-2, DMN-4) and the log of processed wakes. The engine moves the
/// cursor inside each wake's transaction; these are the reads and the moves made outside one.
extension Store {
    /// The instant through which every wake has been processed, or nil on a fresh database.
    public func processedThrough() throws -> Date? {
        try read { db in try Self.processedThrough(db) }
    }

    package static func processedThrough(_ db: Database) throws -> Date? {
        try Int64.fetchOne(db, sql: "SELECT processed_through FROM clock WHERE id = 1").map(Instant.date)
    }

    /// Starts the clock on a fresh database; on one that has a cursor it does nothing and
    /// returns the stored cursor, so a restart never rewinds or skips (DMN-4).
    @discardableResult
    public func startClock(at instant: Date) throws -> Date {
        try write { db in
            if let cursor = try Self.processedThrough(db) { return cursor }
            try db.execute(sql: "INSERT INTO clock (id, processed_through) VALUES (1, ?)", arguments: [Instant.seconds(instant)])
            return instant
        }
    }

    /// Marks everything through `instant` as processed when no wake falls in between (the end of
    /// `run --until`). Never moves the cursor back.
    public func advanceClock(through instant: Date) throws {
        try write { db in
            try db.execute(sql: "UPDATE clock SET processed_through = max(processed_through, ?) WHERE id = 1",
                           arguments: [Instant.seconds(instant)])
        }
    }

    /// The most recent processed wakes, newest first.
    public func recentWakes(limit: Int) throws -> [WakeSummary] {
        try read { db in
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .custom { decoder in
                let text = try decoder.singleValueContainer().decode(String.self)
                guard let date = Instant.parse(text) else {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad instant \(text)"))
                }
                return date
            }
            return try String.fetchAll(db, sql: "SELECT summary FROM wake ORDER BY at DESC LIMIT ?", arguments: [limit])
                .map { try decoder.decode(WakeSummary.self, from: Data($0.utf8)) }
        }
    }
}
