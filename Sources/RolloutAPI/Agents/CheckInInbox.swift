import Foundation
import GRDB
import Logging
import NIOConcurrencyHelpers
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
    /// A pool: the drainer's reads of large batches run beside the appends instead of before them.
    private let file: DatabasePool

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // Losing the last check-ins on power loss costs an agent one more check-in, no decision.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        file = try DatabasePool(path: path, configuration: configuration)
        try file.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS check_in (
                    id INTEGER PRIMARY KEY,
                    report TEXT NOT NULL,
                    endpoint_id TEXT NOT NULL
                ) STRICT;
                DROP INDEX IF EXISTS check_in_by_endpoint;
                """)
        }
        // The acknowledgements of check-ins a previous run accepted but did not drain.
        let waiting = try file.read { db in
            try String.fetchAll(db, sql: "SELECT report FROM check_in WHERE report NOT LIKE '%\"acknowledged\":[]%'")
                .map { try Self.decoder.decode(CheckInReport.self, from: Data($0.utf8)) }
        }
        tally(waiting, by: 1)
    }

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    /// Check-ins waiting for the next group commit, and whether a commit is under way.
    private struct Pending {
        var reports: [(report: CheckInReport, text: String, accepted: CheckedContinuation<Void, any Error>)] = []
        var committing = false
    }

    private let pending = NIOLockedValueBox(Pending())
    /// Runs the group commits, off Swift's cooperative pool: a commit blocks its thread.
    private let committer = DispatchQueue(label: "rolloutd.inbox.commit")
    /// Notification ids acknowledged by check-ins still in the inbox, per endpoint, counted per
    /// check-in: a check-in answer leaves them out without reading the inbox (API-3). Kept in
    /// step with the file: added in the transaction that appends, removed once drained.
    private let acknowledgements = NIOLockedValueBox<[String: [Int64: Int]]>([:])

    /// Returns once the check-in is committed to the inbox file. Check-ins arriving while a
    /// commit runs are committed together in the next transaction (group commit): one commit
    /// per batch instead of one per check-in.
    func append(_ report: CheckInReport) async throws {
        let text = String(decoding: try Self.encoder.encode(report), as: UTF8.self)
        try await withCheckedThrowingContinuation { (accepted: CheckedContinuation<Void, any Error>) in
            let start = pending.withLockedValue { pending in
                pending.reports.append((report, text, accepted))
                defer { pending.committing = true }
                return !pending.committing
            }
            if start { committer.async { self.commitPending() } }
        }
    }

    /// Commits what waits, batch after batch, until nothing does; then the next append starts it again.
    private func commitPending() {
        while true {
            let batch = pending.withLockedValue { pending in
                defer { pending.reports = [] }
                if pending.reports.isEmpty { pending.committing = false }
                return pending.reports
            }
            if batch.isEmpty { return }
            let reports = batch.map(\.report)
            var tallied = false
            do {
                try file.write { db in
                    let insert = try db.cachedStatement(sql: "INSERT INTO check_in (report, endpoint_id) VALUES (?, ?)")
                    for item in batch { try insert.execute(arguments: [item.text, item.report.endpoint]) }
                    // Tallied before the commit, so that a drain (which reads after it) always
                    // finds what it takes away.
                    tally(reports, by: 1)
                    tallied = true
                }
                for item in batch { item.accepted.resume() }
            } catch {
                if tallied { tally(reports, by: -1) }
                for item in batch { item.accepted.resume(throwing: error) }
            }
        }
    }

    /// Notifications an endpoint acknowledged in check-ins still waiting here.
    func acknowledged(endpoint: String) -> Set<Int64> {
        acknowledgements.withLockedValue { waiting in waiting[endpoint].map { Set($0.keys) } ?? [] }
    }

    private func tally(_ reports: [CheckInReport], by step: Int) {
        acknowledgements.withLockedValue { waiting in
            for report in reports where !report.acknowledged.isEmpty {
                var ids = waiting[report.endpoint] ?? [:]
                for id in report.acknowledged {
                    let count = (ids[id] ?? 0) + step
                    ids[id] = count > 0 ? count : nil
                }
                waiting[report.endpoint] = ids.isEmpty ? nil : ids
            }
        }
    }

    /// How many check-ins wait.
    func count() async throws -> Int {
        try await file.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM check_in") ?? 0 }
    }

    /// Moves up to `limit` check-ins into the store in one transaction, with the token uses.
    /// - Returns: how many left the inbox.
    func drain(into store: Store, blocking: Blocking, usage: TokenUsage, limit: Int) async throws -> Int {
        let batch = try await file.read { db in
            try Row.fetchAll(db, sql: "SELECT id, report FROM check_in ORDER BY id LIMIT ?", arguments: [limit]).map { row in
                (id: row["id"] as Int64, report: try Self.decoder.decode(CheckInReport.self, from: Data((row["report"] as String).utf8)))
            }
        }
        let uses = usage.take()
        guard !batch.isEmpty || !uses.isEmpty else { return 0 }
        let reports = batch.map(\.report)
        do {
            _ = try await blocking.write { try store.recordCheckIns(reports, tokenUses: uses) }
        } catch {
            usage.restore(uses)
            throw error
        }
        guard let last = batch.last?.id else { return 0 }
        try await file.write { db in try db.execute(sql: "DELETE FROM check_in WHERE id <= ?", arguments: [last]) }
        tally(reports, by: -1)
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
