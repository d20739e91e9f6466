import Foundation
import GRDB

/// Asks the next wake to recompute endpoint targets, because something they depend on changed
/// outside a wake. Writers call it in their own transaction; the loop sees the request at its
/// next poll and wakes at once (DMN-1).
public enum RetargetRequest {
    /// Records a request for `scope` (`document`, `organisation:o-1`, `user:u-1`, `endpoint:e-9`):
    /// what the next wake retargets (`document`: everything). The first request time per scope
    /// is kept.
    public static func add(_ db: Database, scope: String, at instant: Date) throws {
        try db.execute(sql: "INSERT OR IGNORE INTO retarget_request (scope, since) VALUES (?, ?)",
                       arguments: [scope, Int64(instant.timeIntervalSince1970)])
    }

    /// The scopes of the pending requests.
    package static func scopes(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT scope FROM retarget_request")
    }

    /// When the earliest pending request was made.
    package static func earliest(_ db: Database) throws -> Date? {
        try Int64.fetchOne(db, sql: "SELECT min(since) FROM retarget_request").map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    package static func clear(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM retarget_request")
    }
}
