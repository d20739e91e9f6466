import Foundation
import GRDB
import Logging
import RolloutCore
import RolloutStore
import RolloutEngine

/// Where agent check-ins land first (API-6): a SQLite file of its own beside the database. A
/// wake holds the database's write lock for its whole transaction; appending here never waits
/// for it, so check-ins are accepted and answered while the scheduler works. `drain` moves them
/// into the database in batches, one commit per batch (group commit), through the store's
/// check-in call; a batch that meets the wake's lock waits in the inbox for the next round.
///
/// Durable on the API's crash: a check-in is deleted from the inbox only after the database
/// committed it, and applying one twice changes nothing (API-3: retries are idempotent).
final class CheckInInbox: Sendable {
    private let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // Losing the last check-ins on power loss costs an agent one more check-in, no decision.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS check_in (
                    id INTEGER PRIMARY KEY,
                    report TEXT NOT NULL,
                    endpoint_id TEXT NOT NULL
                ) STRICT;
                CREATE INDEX IF NOT EXISTS check_in_by_endpoint ON check_in(endpoint_id);
                """)
        }
    }

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    func append(_ report: CheckInReport) async throws {
        let text = String(decoding: try Self.encoder.encode(report), as: UTF8.self)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO check_in (report, endpoint_id) VALUES (?, ?)", arguments: [text, report.endpoint])
        }
    }

    /// Notifications an endpoint acknowledged in check-ins still waiting here.
    func acknowledged(endpoint: String) async throws -> Set<Int64> {
        try await queue.read { db in
            var ids = Set<Int64>()
            for text in try String.fetchAll(db, sql: "SELECT report FROM check_in WHERE endpoint_id = ?", arguments: [endpoint]) {
                ids.formUnion(try Self.decoder.decode(CheckInReport.self, from: Data(text.utf8)).acknowledged)
            }
            return ids
        }
    }

    /// How many check-ins wait.
    func count() async throws -> Int {
        try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM check_in") ?? 0 }
    }

    /// Moves up to `limit` check-ins into the store in one transaction, with the token uses.
    /// - Returns: how many left the inbox.
    func drain(into store: Store, blocking: Blocking, usage: TokenUsage, limit: Int) async throws -> Int {
        let batch = try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, report FROM check_in ORDER BY id LIMIT ?", arguments: [limit]).map { row in
                (id: row["id"] as Int64, report: try Self.decoder.decode(CheckInReport.self, from: Data((row["report"] as String).utf8)))
            }
        }
        let uses = usage.take()
        guard !batch.isEmpty || !uses.isEmpty else { return 0 }
        do {
            let reports = batch.map(\.report)
            _ = try await blocking.write { try store.recordCheckIns(reports, tokenUses: uses) }
        } catch {
            usage.restore(uses)
            throw error
        }
        guard let last = batch.last?.id else { return 0 }
        try await queue.write { db in try db.execute(sql: "DELETE FROM check_in WHERE id <= ?", arguments: [last]) }
        return batch.count
    }

    /// Drains until cancelled: at once while check-ins wait, every `interval` when idle, and
    /// after `interval` when the database is busy with a wake.
    func drainContinuously(into store: Store, blocking: Blocking, usage: TokenUsage, interval: Duration, logger: Logger) async {
        while !Task.isCancelled {
            var moved = 0
            do {
                moved = try await drain(into: store, blocking: blocking, usage: usage, limit: 5_000)
            } catch let problem as Problem where problem.status == .serviceUnavailable {
                logger.debug("check-in inbox: the database is busy; the batch waits for the next round")
            } catch {
                logger.error("check-in inbox: cannot drain: \(error)")
            }
            if moved < 5_000 { try? await Task.sleep(for: interval) }
        }
    }
}
