import Foundation
import GRDB
import RolloutCore
import RolloutEngine
import RolloutStore
import Synchronization

/// A real `WakeRule` for the loop's tests: it owns the deadlines stored in its own table
/// (`test_deadline`), handles every one due at a wake inside the wake's transaction, logs each
/// processing in `test_rule_log`, and counts how often it was asked to process. No product rule
/// is involved, so the tests see the loop alone.
final class DeadlineTableRule: WakeRule {
    private let calls = Mutex(0)

    /// How many times `process` ran, whether or not its transaction committed.
    var processCount: Int { calls.withLock { $0 } }

    init() {}

    /// Creates the rule's tables in `store` (once per file) and adds `deadlines`.
    static func install(in store: Store, deadlines: [(at: String, kind: String)] = []) throws {
        try store.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS test_deadline (
                    at INTEGER NOT NULL, kind TEXT NOT NULL, handled_at INTEGER, PRIMARY KEY (at, kind));
                CREATE TABLE IF NOT EXISTS test_rule_log (wake_at INTEGER NOT NULL, handled INTEGER NOT NULL);
                """)
            for deadline in deadlines {
                try db.execute(sql: "INSERT INTO test_deadline (at, kind) VALUES (?, ?)",
                               arguments: [Instant.seconds(Instant.parse(deadline.at)!), deadline.kind])
            }
        }
    }

    func deadlines(_ db: Database, after cursor: Date, context: RuleContext) throws -> [Deadline] {
        try Row.fetchAll(db, sql: "SELECT at, kind FROM test_deadline WHERE handled_at IS NULL ORDER BY at").map { row in
            Deadline(at: Instant.date(row["at"]), reason: WakeReason(kind: row["kind"]))
        }
    }

    func process(_ wake: inout WakeContext) throws {
        calls.withLock { $0 += 1 }
        let at = Instant.seconds(wake.wake.at)
        try wake.db.execute(sql: "UPDATE test_deadline SET handled_at = ? WHERE handled_at IS NULL AND at <= ?",
                            arguments: [at, at])
        let handled = wake.db.changesCount
        try wake.db.execute(sql: "INSERT INTO test_rule_log (wake_at, handled) VALUES (?, ?)", arguments: [at, handled])
        wake.count("test_deadline_handled", handled)
    }
}

/// What the rule wrote, read back from the database.
struct RuleLog {
    /// Wake instants the rule logged, in insertion order (duplicates kept).
    var wakes: [Date]
    /// Deadlines handled so far, and at which wake.
    var handled: [Date: Date]
    var unhandled: Int

    static func read(_ store: Store) throws -> RuleLog {
        try store.read { db in
            let wakes = try Int64.fetchAll(db, sql: "SELECT wake_at FROM test_rule_log ORDER BY rowid").map(Instant.date)
            var handled: [Date: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT at, handled_at FROM test_deadline WHERE handled_at IS NOT NULL") {
                handled[Instant.date(row["at"])] = Instant.date(row["handled_at"])
            }
            let unhandled = try Int.fetchOne(db, sql: "SELECT count(*) FROM test_deadline WHERE handled_at IS NULL") ?? 0
            return RuleLog(wakes: wakes, handled: handled, unhandled: unhandled)
        }
    }
}
