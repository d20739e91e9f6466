import Foundation
import GRDB
import RolloutCore

/// The daemon's liveness as the database records it (DMN-8): who serves this database, since
/// when, and when it was last seen. The daemon beats at every poll; other processes read it.
public struct Heartbeat: Codable, Sendable, Equatable {
    /// What the heartbeat says about the daemon at a given wall-clock instant.
    public enum State: String, Codable, Sendable {
        /// Seen within two poll intervals.
        case running
        /// Stopped cleanly (SIGTERM) and not started again.
        case stopped
        /// Not seen for more than two poll intervals: killed, crashed, hung or its host is down.
        case notResponding = "not_responding"
    }

    public let pid: Int
    public let host: String
    public let startedAt: Date
    public let lastSeen: Date
    public let pollSeconds: Int
    public let stoppedAt: Date?

    public init(pid: Int, host: String, startedAt: Date, lastSeen: Date, pollSeconds: Int, stoppedAt: Date? = nil) {
        self.pid = pid
        self.host = host
        self.startedAt = startedAt
        self.lastSeen = lastSeen
        self.pollSeconds = pollSeconds
        self.stoppedAt = stoppedAt
    }

    /// Running while the last beat is at most two poll intervals old (a beat can be one poll
    /// late when a wake is in progress; two means the loop is not polling).
    public func state(at now: Date) -> State {
        if stoppedAt != nil { return .stopped }
        return now.timeIntervalSince(lastSeen) > TimeInterval(2 * pollSeconds) ? .notResponding : .running
    }

    enum CodingKeys: String, CodingKey {
        case pid, host
        case startedAt = "started_at"
        case lastSeen = "last_seen"
        case pollSeconds = "poll_seconds"
        case stoppedAt = "stopped_at"
    }
}

extension Store {
    /// Records that this process serves the database from `now`: a new start replaces the
    /// previous daemon's row (DMN-8).
    public func startHeartbeat(pid: Int, host: String, pollSeconds: Int, at now: Date) throws {
        try write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO heartbeat (id, pid, host, started_at, beat_at, poll_seconds, stopped_at)
                VALUES (1, ?, ?, ?, ?, ?, NULL)
                """, arguments: [pid, host, Instant.seconds(now), Instant.seconds(now), max(1, pollSeconds)])
        }
    }

    /// One beat: the daemon is alive at `now` and polls every `pollSeconds`.
    public func beat(at now: Date, pollSeconds: Int) throws {
        try write { db in
            try db.execute(sql: "UPDATE heartbeat SET beat_at = ?, poll_seconds = ? WHERE id = 1",
                           arguments: [Instant.seconds(now), max(1, pollSeconds)])
        }
    }

    /// A clean stop: `status` then says "stopped at …" rather than "not responding".
    public func stopHeartbeat(at now: Date) throws {
        try write { db in
            try db.execute(sql: "UPDATE heartbeat SET beat_at = ?, stopped_at = ? WHERE id = 1",
                           arguments: [Instant.seconds(now), Instant.seconds(now)])
        }
    }

    /// The recorded heartbeat, or nil when no daemon ever served this database (a scratch
    /// database, a backup copy).
    public func heartbeat() throws -> Heartbeat? {
        try read { db in try Self.heartbeat(db) }
    }

    package static func heartbeat(_ db: Database) throws -> Heartbeat? {
        try Row.fetchOne(db, sql: "SELECT pid, host, started_at, beat_at, poll_seconds, stopped_at FROM heartbeat WHERE id = 1").map { row in
            Heartbeat(pid: row["pid"], host: row["host"], startedAt: Instant.date(row["started_at"]),
                      lastSeen: Instant.date(row["beat_at"]), pollSeconds: row["poll_seconds"],
                      stoppedAt: (row["stopped_at"] as Int64?).map(Instant.date))
        }
    }
}
