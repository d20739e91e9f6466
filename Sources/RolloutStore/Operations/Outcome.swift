public import Foundation
import GRDB
import RolloutCore

/// What a forecast's run decided, subject by subject, so two runs (plain and what-if, OPS-4)
/// can be compared: when each endpoint first moved, which orders were placed, which
/// notifications were written.
public struct ForecastOutcome: Sendable {
    /// An endpoint's first move of one kind: a new target (`CAD-2 → 45.11.0`) or an upgrade step
    /// (`UPG-6 → installing`).
    public struct Move: Hashable, Sendable {
        public let endpoint: String
        public let organisation: String?
        public let what: String
        public let at: Date
    }

    public struct Notice: Hashable, Sendable {
        public let key: String
        public let kind: String
        public let dueAt: Date
    }

    /// By `endpoint what`.
    public let moves: [String: Move]
    /// Organisation → instant of the first order placed in the period.
    public let orders: [String: Date]
    /// By idempotency key (NOT-1): the same notification in both runs has the same key.
    public let notifications: [String: Notice]
}

extension Store {
    /// The decisions, orders and notifications of the wakes in (after, through].
    public func outcome(after: Date, through: Date) throws -> ForecastOutcome {
        try read { db in
            let range: StatementArguments = [Instant.seconds(after), Instant.seconds(through)]
            var moves: [String: ForecastOutcome.Move] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT subject_id, organisation_id, rule || ' → ' || coalesce(after, '-') AS what, min(wake_at) AS at FROM decision
                WHERE subject_kind = 'endpoint' AND rule IN ('CAD-2', 'UPG-6') AND wake_at > ? AND wake_at <= ?
                GROUP BY subject_id, what
                """, arguments: range) {
                let move = ForecastOutcome.Move(endpoint: row["subject_id"], organisation: row["organisation_id"], what: row["what"],
                                                at: Instant.date(row["at"]))
                moves["\(move.endpoint) \(move.what)"] = move
            }
            let orders = try Row.fetchAll(db, sql: """
                SELECT organisation_id, min(ordered_at) FROM upgrade_order WHERE ordered_at > ? AND ordered_at <= ? GROUP BY organisation_id
                """, arguments: range).reduce(into: [String: Date]()) { $0[$1[0]] = Instant.date($1[1]) }
            let notifications = try Row.fetchAll(db, sql: """
                SELECT idempotency_key, kind, due_at FROM notification WHERE due_at > ? AND due_at <= ?
                """, arguments: range).reduce(into: [String: ForecastOutcome.Notice]()) {
                $0[$1[0]] = ForecastOutcome.Notice(key: $1[0], kind: $1[1], dueAt: Instant.date($1[2]))
            }
            return ForecastOutcome(moves: moves, orders: orders, notifications: notifications)
        }
    }
}
