public import Foundation
import GRDB
public import RolloutCore
public import RolloutStore

/// What `rolloutctl status` reports: where the daemon is in its schedule and what is pending.
public struct StatusReport: Codable, Sendable {
    public struct LastWake: Codable, Sendable {
        public let at: Date
        public let reasons: [WakeReason]
        public let processedAt: Date
        public let late: Bool
        public let summary: WakeSummary

        enum CodingKeys: String, CodingKey {
            case at, reasons, late, summary
            case processedAt = "processed_at"
        }
    }

    public struct NextWake: Codable, Sendable {
        public let at: Date
        public let reasons: [WakeReason]
    }

    public struct PendingChange: Codable, Sendable {
        public let id: Int64
        public let subject: String
        /// The partner that made the request, or the organisation's partner for a customer's.
        public let partner: String
        public let change: String
        /// `partner` or `customer`.
        public let requestedBy: String
        public let requestedAt: Date
        public let applyBy: Date

        enum CodingKeys: String, CodingKey {
            case id, subject, partner, change
            case requestedBy = "requested_by"
            case requestedAt = "requested_at"
            case applyBy = "apply_by"
        }
    }

    public struct Health: Codable, Sendable {
        public let database: String
        public let schemaVersion: Int
        public let latestSchemaVersion: Int
        public let sizeBytes: Int64
        public let walBytes: Int64

        enum CodingKeys: String, CodingKey {
            case database
            case schemaVersion = "schema_version"
            case latestSchemaVersion = "latest_schema_version"
            case sizeBytes = "size_bytes"
            case walBytes = "wal_bytes"
        }
    }

    /// The daemon as its heartbeat shows it (DMN-8).
    public struct DaemonLiveness: Codable, Sendable {
        /// `running`, `stopped`, `not_responding`, or `never_started` (no daemon ever served this
        /// database: a scratch database or a copy).
        public let state: String
        public let heartbeat: Heartbeat?

        /// Stopped or not responding: nothing decides on this database (exit 3).
        public var down: Bool { state == Heartbeat.State.stopped.rawValue || state == Heartbeat.State.notResponding.rawValue }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(state, forKey: .state)
            try heartbeat?.encode(to: encoder)
        }

        public init(from decoder: any Decoder) throws {
            state = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .state)
            heartbeat = try? Heartbeat(from: decoder)
        }

        init(heartbeat: Heartbeat?, now: Date) {
            self.heartbeat = heartbeat
            state = heartbeat?.state(at: now).rawValue ?? "never_started"
        }

        enum CodingKeys: String, CodingKey { case state }
    }

    public let now: Date
    public let daemon: DaemonLiveness
    public let processedThrough: Date?
    public let lastWake: LastWake?
    public let nextWake: NextWake?
    /// Seconds the next wake is overdue (0 when on time): the daemon is behind its schedule.
    public let lagSeconds: Int64
    /// A wake is overdue by more than the tolerance, or the daemon is stopped or not responding.
    public let behind: Bool
    public let pending: PendingCounts
    public let pendingChanges: [PendingChange]
    /// Rows the wakes skip because they break a rule (DMN-7), until repaired.
    public let skippedRows: [SkippedRow]
    /// Pauses not yet resumed (OPS-1), oldest first.
    public let pauses: [PauseRecord]
    public let health: Health
    /// Per-webhook delivery health (DLV-4).
    public let webhooks: [WebhookHealth]

    enum CodingKeys: String, CodingKey {
        case now, daemon, behind, pending, health, webhooks, pauses
        case processedThrough = "processed_through"
        case lastWake = "last_wake"
        case nextWake = "next_wake"
        case lagSeconds = "lag_seconds"
        case pendingChanges = "pending_changes"
        case skippedRows = "skipped_rows"
    }
}

extension Store {
    /// A snapshot for operators and monitoring. `behind` is true when a wake is overdue by more
    /// than `tolerance` — the daemon is down, stuck or catching up — or when the heartbeat says
    /// the daemon is stopped or has not polled for two intervals (DMN-8), which a quiet weekend
    /// with no wake due would otherwise hide for days.
    public func status(now: Date, rules: [any WakeRule], context: RuleContext, tolerance: TimeInterval) throws -> StatusReport {
        let next = try nextWake(rules: rules, context: context)
        let lag = next.map { max(0, Int64(now.timeIntervalSince($0.at))) } ?? 0
        return try read { db in
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .custom { decoder in
                let text = try decoder.singleValueContainer().decode(String.self)
                guard let date = Instant.parse(text) else {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad instant \(text) in the last wake's summary"))
                }
                return date
            }
            let last = try Row.fetchOne(db, sql: "SELECT at, processed_at, late, summary FROM wake ORDER BY at DESC LIMIT 1").map { row in
                let summary = try decoder.decode(WakeSummary.self, from: Data((row["summary"] as String).utf8))
                return StatusReport.LastWake(at: Instant.date(row["at"]), reasons: summary.reasons, processedAt: Instant.date(row["processed_at"]),
                                             late: row["late"], summary: summary)
            }
            let changes = try ScheduleChanges.pendingList(db, partner: nil, organisation: nil)
            let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int64) ?? 0
            let daemon = StatusReport.DaemonLiveness(heartbeat: try Self.heartbeat(db), now: now)
            return StatusReport(
                now: now, daemon: daemon, processedThrough: try Self.processedThrough(db), lastWake: last,
                nextWake: next.map { StatusReport.NextWake(at: $0.at, reasons: $0.reasons) },
                lagSeconds: lag, behind: TimeInterval(lag) > tolerance || daemon.down,
                pending: try Self.pendingCounts(db),
                pendingChanges: changes,
                skippedRows: try Self.skippedRows(db),
                pauses: try Self.openPauses(db, partner: nil, organisation: nil),
                health: StatusReport.Health(database: path, schemaVersion: try Migrations.migrator.appliedIdentifiers(db).count,
                                            latestSchemaVersion: Migrations.latestVersion, sizeBytes: pageSize * pages, walBytes: wal),
                webhooks: try Self.webhookHealth(db))
        }
    }
}
