import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutStore
import RolloutEngine

extension APIHarness {
    /// Runs the daemon's wakes (the engine's real rules) from a day before the start up to the
    /// harness clock, so targets and lifecycle states are the scheduler's own decisions.
    func runWakes() throws {
        let context = LoopSettings(Configuration()).rules
        if try store.processedThrough() == nil { _ = try store.startClock(at: Self.start.addingTimeInterval(-86_400)) }
        while let wake = try store.nextWake(rules: Rules.all, context: context), wake.at <= now {
            _ = try store.process(wake, rules: Rules.all, context: context, late: false)
        }
    }

    /// Puts an endpoint of an upgraded organisation in `notified`, as UPG-6 does when its
    /// automatic upgrade comes, with its deferral deadline a week later.
    func notify(endpoint: String, organisation: String, partner: String) throws {
        let at = Instant.seconds(now)
        try store.write { db in
            try db.execute(sql: "UPDATE organisation SET generation = 'cloud', upgrade_partner_id = ? WHERE id = ?",
                           arguments: [partner, organisation])
            try db.execute(sql: """
                UPDATE endpoint SET upgrade_state = 'notified', triggered_at = ?, deferral_deadline = ?, upgrade_state_at = ? WHERE id = ?
                """, arguments: [at, at + 7 * 86_400, at, endpoint])
        }
    }

    /// An outbox row, as a wake writes them.
    @discardableResult
    func notification(key: String, audience: String, partner: String?, organisation: String?, endpoint: String? = nil) throws -> Int64 {
        try store.write { db in
            try db.execute(sql: """
                INSERT INTO notification (idempotency_key, kind, audience, partner_id, organisation_id, endpoint_id, locale, due_at,
                                          emitted_at, subject, body)
                VALUES (?, 'upgrade_reminder', ?, ?, ?, ?, 'en', ?, ?, 'subject', 'body')
                """, arguments: [key, audience, partner, organisation, endpoint, Instant.seconds(now), Instant.seconds(now)])
            return db.lastInsertedRowID
        }
    }
}
