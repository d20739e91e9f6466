import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// Set-based work at fleet scale: one organisation of 100,000 endpoints (every tenth an iPhone)
/// evaluated, ordered, processed, and every desktop endpoint triggered at one wake.
@Suite("UPG at scale: 100,000 endpoints in one organisation")
struct UpgradeProgrammeScaleTests {
    @Test("100,000 endpoints processed: every desktop endpoint triggered at one wake, one notification each")
    func fleet() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let (data, desktop) = UpgradeDocument.fleet(partner: "big", organisation: "mega", count: 100_000, mobileEvery: 10,
                                                            delayDays: 1)
        #expect(desktop == 90_000)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Store(path: directory.path("rolloutd.sqlite"))
        try store.startClock(at: at("2026-09-14T00:00:00Z"))
        try store.apply(data, at: at("2026-09-14T00:00:00Z"))
        let loaded = clock.now
        let settings = LoopSettings(RolloutDaemon.Configuration())
        let recorder = EventRecorder()
        func run(until: String) async throws {
            let loop = WakeLoop(store: store, rules: Rules.all, clock: VirtualClock(startingAt: try store.processedThrough()!),
                                settings: { settings }, report: { recorder.record($0) })
            try await loop.run(until: at(until))
        }
        _ = try store.createProgramme(partner: "big", announceAt: at("2026-09-14T15:00:00Z"), windowStartAt: at("2026-09-14T15:00:00Z"),
                                      autoUpgradeAt: at("2026-10-01T15:00:00Z"), at: at("2026-09-14T00:00:00Z"),
                                      calendar: settings.rules.calendar)
        try await run(until: "2026-09-14T16:00:00Z")
        let readiness = try #require(store.readiness(partner: "big", organisation: "mega").first)
        #expect(readiness.ready == true)
        #expect(readiness.items.first?.reason == "every endpoint checked in within 30 days (90000 endpoints)")
        let receipts = try store.requestUpgrade(partner: "big", organisations: nil, at: at("2026-09-14T16:00:00Z"), context: settings.rules)
        #expect(receipts.map(\.organisation) == ["mega"])
        try await run(until: "2026-09-14T17:00:00Z")
        _ = try store.recordOrderAnswer(organisation: "mega", processed: true, reason: nil, at: at("2026-09-14T17:00:00Z"))
        // 10:00 PDT + 1 day → Tuesday 10:00 → Wednesday 16 September 08:00 PDT.
        try await run(until: "2026-09-16T15:00:00Z")
        let finished = clock.now

        let counts = try store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT coalesce(upgrade_state, 'none') AS state, platform IN ('ios','android') AS mobile, count(*) AS n,
                       count(DISTINCT triggered_at) AS triggers, min(triggered_at) AS triggered
                FROM endpoint GROUP BY 1, 2 ORDER BY 1, 2
                """).map { "\($0["state"] as String) mobile=\($0["mobile"] as Bool) \($0["n"] as Int) triggers=\($0["triggers"] as Int)" }
        }
        #expect(counts == ["none mobile=true 10000 triggers=0", "notified mobile=false 90000 triggers=1"])
        let triggered = try store.read { db in try Int64.fetchOne(db, sql: "SELECT min(triggered_at) FROM endpoint") }
        #expect(triggered == Instant.seconds(at("2026-09-16T15:00:00Z")))
        let notices = try store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM notification WHERE kind = 'endpoint_upgrade_available'") ?? 0
        }
        #expect(notices == desktop)
        let distinctEndpoints = try store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(DISTINCT endpoint_id) FROM notification WHERE kind = 'endpoint_upgrade_available'") ?? 0
        }
        #expect(distinctEndpoints == desktop)
        let wake = recorder.wakes.first { $0.at == at("2026-09-16T15:00:00Z") }
        #expect(wake?.decisions["endpoint_notified"] == desktop)
        #expect(recorder.wakes.filter { ($0.decisions["endpoint_notified"] ?? 0) > 0 }.count == 1, "all at one wake")
        let decisions = try store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM decision WHERE rule = 'UPG-6' AND after = 'notified'") ?? 0
        }
        #expect(decisions == desktop)
        let progress = try #require(store.progress(partner: "big").first)
        #expect(progress.endpoints == ["notified": desktop])
        print("""
            UPG scale: 100,000 endpoints loaded in \(loaded - started), programme to the trigger wake in \(finished - loaded) \
            (trigger wake: \(wake.map { "\(Double($0.durationMicroseconds) / 1_000_000) s" } ?? "-"))
            """)
    }
}
