import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// Decisions are data (issue #8): each has a kind and typed before/after values, written by one
/// writer, read back by `history --json` and `forecast`, and older text-only rows stay readable.
@Suite("Typed decisions")
struct TypedDecisionTests {
    @Test("history --json: kind, before_value and after_value beside the text; a schedule is {cadence, deferral_weeks}")
    func historyCarriesTypedValues() throws {
        let (directory, config) = try OperationsTests.prepared(until: "2026-12-10T00:00:00Z")
        defer { directory.remove() }
        let ctl = builtExecutable("rolloutctl")
        let endpoint = try runProcess(ctl, ["history", "--config", config, "--endpoint", "contoso-e1", "--json"], in: directory)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(endpoint.stdout.utf8)) as? [[String: Any]])
        let target = try #require(entries.first { $0["rule"] as? String == "CAD-2" && $0["after"] as? String == "45.11.0" })
        #expect(target["kind"] as? String == "target_version")
        #expect((target["after_value"] as? [String: Any])?["version"] as? String == "45.11.0")

        let explain = try runProcess(ctl, ["explain", "--config", config, "--org", "contoso", "--json"], in: directory)
        let explanation = try #require(try JSONSerialization.jsonObject(with: Data(explain.stdout.utf8)) as? [String: Any])
        let schedule = try #require(explanation["schedule"] as? [String: Any])
        #expect(Set(schedule.keys) == ["cadence", "deferral_weeks"])
        #expect(schedule["cadence"] as? String == explanation["cadence"] as? String)
        #expect(schedule["deferral_weeks"] as? Int == explanation["defer_weeks"] as? Int)
    }

    @Test("forecast counts its days from typed decisions: retargeted from target_version, installing from endpoint_upgrade")
    func forecastReadsTypedDecisions() throws {
        let (directory, config) = try OperationsTests.prepared(until: "2026-12-10T00:00:00Z")
        defer { directory.remove() }
        let result = try runProcess(builtExecutable("rolloutctl"), ["forecast", "--config", config, "--days", "120", "--json"], in: directory)
        let forecast = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let wakes = try #require(forecast["wakes"] as? [[String: Any]])
        var retargeted = 0, installing = 0
        for wake in wakes {
            let typed = try #require(wake["decision_counts"] as? [[String: Any]])
            let text = try #require(wake["decisions"] as? [String: Int])
            // The typed counts say what the text counts say.
            #expect(typed.map { $0["count"] as? Int ?? 0 }.reduce(0, +) == text.values.reduce(0, +))
            for decision in typed {
                let count = decision["count"] as? Int ?? 0
                if decision["kind"] as? String == "target_version" { retargeted += count }
                if decision["kind"] as? String == "endpoint_upgrade",
                   (decision["after"] as? [String: Any])?["upgrade_state"] as? String == "installing" { installing += count }
            }
        }
        let days = try #require(forecast["days"] as? [[String: Any]])
        #expect(days.map { $0["retargeted"] as? Int ?? 0 }.reduce(0, +) == retargeted)
        #expect(days.map { $0["installing"] as? Int ?? 0 }.reduce(0, +) == installing)
        #expect(retargeted > 0, "releases become effective within 120 days")
    }

    @Test("a row written before kinds existed reads with text only; a corrupt value is an error naming its row")
    func oldAndCorruptRows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Store(path: directory.path("rolloutd.sqlite"))
        try store.write { db in
            try db.execute(sql: """
                INSERT INTO decision (wake_at, rule, subject_kind, subject_id, organisation_id, before, after)
                VALUES (100, 'CAD-3', 'organisation', 'o-1', 'o-1', 'automatic +0w', 'slow +8w')
                """)
        }
        let old = try #require(try store.history(of: .organisation("o-1"), limit: 10).first)
        #expect(old.after == "slow +8w")
        #expect(old.kind == nil && old.beforeValue == nil && old.afterValue == nil)

        try store.write { db in
            try db.execute(sql: """
                INSERT INTO decision (wake_at, rule, kind, subject_kind, subject_id, organisation_id, after, after_value)
                VALUES (200, 'CAD-3', 'no_such_kind', 'organisation', 'o-1', 'o-1', 'x', '{}')
                """)
        }
        let error = try #require(throws: StoreError.self) { try store.history(of: .organisation("o-1"), limit: 10) }
        #expect(error.code == .corrupt)
        #expect(error.message.contains("decision row 2"), "\(error.message)")
    }
}
