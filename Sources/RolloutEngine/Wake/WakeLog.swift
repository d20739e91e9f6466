import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// The outcome of asking the store to process a wake.
public enum WakeOutcome: Sendable {
    case processed(WakeSummary)
    /// Another loop on the same database processed this instant first (DMN-4); nothing was done.
    case alreadyProcessed
}

extension Store {
    /// The next wake after the cursor: the next boundary or the earliest deadline of any rule.
    public func nextWake(rules: [any WakeRule], context: RuleContext) throws -> Wake? {
        try read { db in
            guard let cursor = try Self.processedThrough(db) else { return nil }
            var deadlines: [Deadline] = []
            for rule in rules { deadlines += try rule.deadlines(db, after: cursor, context: context) }
            return Wake.next(after: cursor, nextBoundary: context.calendar.nextBoundary(after: cursor), deadlines: deadlines)
        }
    }

    /// Processes one wake in one `BEGIN IMMEDIATE` transaction: every rule decides and writes,
    /// the wake is logged and the cursor moves to its instant — all of it commits or none does
    /// (DMN-3). If another loop already moved the cursor to or past the wake, nothing happens.
    public func process(_ wake: Wake, rules: [any WakeRule], context: RuleContext, late: Bool,
                        beforeCommit: (() throws -> Void)? = nil) throws -> WakeOutcome {
        let started = ContinuousClock.now
        return try write { db in
            let outcome = try Self.decide(db, wake, rules: rules, context: context, late: late, started: started)
            try beforeCommit?()
            return outcome
        }
    }

    /// `process`, suspending instead of blocking: the wake runs on the database's writer queue,
    /// so the caller's threads stay free for the watchdog and signals however long it takes.
    /// Cancelling the calling task interrupts the wake, which then rolls back as a whole.
    public func processWithoutBlocking(_ wake: Wake, rules: [any WakeRule], context: RuleContext, late: Bool) async throws -> WakeOutcome {
        let started = ContinuousClock.now
        return try await writeWithoutBlocking { db in
            try Self.decide(db, wake, rules: rules, context: context, late: late, started: started)
        }
    }

    private static func decide(_ db: Database, _ wake: Wake, rules: [any WakeRule], context: RuleContext, late: Bool,
                               started: ContinuousClock.Instant) throws -> WakeOutcome {
        guard let cursor = try processedThrough(db), cursor < wake.at else { return .alreadyProcessed }
        var wakeContext = WakeContext(db: db, wake: wake, previous: cursor, rules: context, late: late)
        for rule in rules { try rule.process(&wakeContext) }
        var summary = wakeContext.summary
        let elapsed = ContinuousClock.now - started
        summary.durationMicroseconds = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Instant.format(date))
        }
        try db.execute(
            sql: "INSERT INTO wake (at, reasons, processed_at, duration_us, late, summary) VALUES (?,?,CAST(strftime('%s','now') AS INTEGER),?,?,?)",
            arguments: [Instant.seconds(wake.at), wake.reasons.map(\.description).joined(separator: ", "),
                        summary.durationMicroseconds, late, String(decoding: try encoder.encode(summary), as: UTF8.self)])
        try db.execute(sql: "UPDATE clock SET processed_through = ? WHERE id = 1", arguments: [Instant.seconds(wake.at)])
        return .processed(summary)
    }
}
