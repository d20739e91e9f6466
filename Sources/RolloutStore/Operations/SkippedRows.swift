public import Foundation
package import GRDB
import RolloutCore

/// A row that breaks a rule, skipped by every wake until it is repaired (DMN-7).
public struct SkippedRow: Codable, Sendable, Equatable {
    /// What is wrong, as a stable name (`reminder_not_deferred`, `schedule_change_invalid`, …).
    public let kind: String
    public let table: String
    /// The row's key in `table`.
    public let row: String
    public let rule: String
    public let reason: String
    /// The wake that first found it, and the last one that still did.
    public let firstSeenAt: Date
    public let lastSeenAt: Date

    enum CodingKeys: String, CodingKey {
        case kind, table, row, rule, reason
        case firstSeenAt = "first_seen_at"
        case lastSeenAt = "last_seen_at"
    }
}

extension Store {
    /// The rows the wakes currently skip, oldest first.
    public func skippedRows() throws -> [SkippedRow] {
        try read { db in try Self.skippedRows(db) }
    }

    package static func skippedRows(_ db: Database) throws -> [SkippedRow] {
        try Row.fetchAll(db, sql: """
            SELECT kind, table_name, row_id, rule, reason, first_seen_at, last_seen_at FROM skipped_row
            ORDER BY first_seen_at, table_name, row_id, kind
            """).map { row in
            SkippedRow(kind: row["kind"], table: row["table_name"], row: row["row_id"], rule: row["rule"], reason: row["reason"],
                       firstSeenAt: Instant.date(row["first_seen_at"]), lastSeenAt: Instant.date(row["last_seen_at"]))
        }
    }
}
