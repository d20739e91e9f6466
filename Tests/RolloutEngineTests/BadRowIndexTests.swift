import Foundation
import GRDB
@testable import RolloutEngine
import RolloutStore
import Testing

/// Issue #8: a boundary must not scan the fleet to find bad rows (DMN-7). Each whole-table
/// endpoint and organisation check of `BadRowRule` is answered from its partial index
/// (migrations `engine-perf-3` and `engine-perf-4`), which holds the bad rows alone; and the
/// checks still find them.
@Suite struct BadRowIndexTests {
    @Test("every whole-table endpoint check reads its partial index, not the table")
    func checksUseTheirPartialIndexes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rolloutd-badrow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store(path: directory.appendingPathComponent("plan.sqlite").path)
        let expected = [
            "installed_version_invalid": "endpoint_bad_installed_version",
            "upgrade_state_unknown": "endpoint_bad_upgrade_state",
            "platform_unknown": "endpoint_bad_platform",
            "generation_unknown": "organisation_bad_generation",
            "policy_features_invalid": "organisation_bad_policy_features",
        ]
        let checks = BadRowRule.checks.filter { ["endpoint", "organisation"].contains($0.table) && !$0.everyWake }
        #expect(Set(checks.map(\.kind)) == Set(expected.keys))
        try store.write { db in
            // As another process writing bad rows would: past the table's CHECK constraints.
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: """
                INSERT INTO organisation (id, name) VALUES ('o1', 'O');
                INSERT INTO organisation (id, name, generation) VALUES ('o-bad-generation', 'O', 'hybrid');
                INSERT INTO organisation (id, name, policy_features) VALUES ('o-not-json', 'O', 'firewall'), ('o-object', 'O', '{"a":1}');
                INSERT INTO endpoint (id, organisation_id, platform, installed_version, installed_version_key)
                VALUES ('good', 'o1', 'windows', '45.1.0', '000045.000001.000000'),
                       ('bad-version', 'o1', 'windows', '45..1', '000045.000001.000000'),
                       ('bad-platform', 'o1', 'beos', '45.1.0', '000045.000001.000000');
                """)
            try db.execute(sql: "UPDATE endpoint SET upgrade_state = 'limbo' WHERE id = 'good'; PRAGMA ignore_check_constraints = OFF")
            for check in checks {
                let details = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(check.sql)").map { $0["detail"] as String }.joined(separator: " ")
                #expect(details.contains("USING INDEX \(expected[check.kind]!)") || details.contains("USING COVERING INDEX \(expected[check.kind]!)"),
                        "\(check.kind): \(details)")
            }
            let found = try Dictionary(uniqueKeysWithValues: checks.map { ($0.kind, try String.fetchAll(db, sql: $0.sql)) })
            #expect(found == ["installed_version_invalid": ["bad-version"], "upgrade_state_unknown": ["good"], "platform_unknown": ["bad-platform"],
                              "generation_unknown": ["o-bad-generation"], "policy_features_invalid": ["o-not-json", "o-object"]])
        }
    }
}
