import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// A fresh directory per test: every test gets its own real SQLite file, never a shared or
/// in-memory one. Tests remove it with `defer { directory.remove() }`, which also keeps it alive
/// for the whole test (Swift may end a local's lifetime after its last use).
final class StoreDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("rolloutd-store-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// A store on `name` in this directory, created and migrated.
    func store(_ name: String = "rolloutd.sqlite", busyTimeout: TimeInterval = 5) throws -> Store {
        try Store(path: path(name), busyTimeout: busyTimeout)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The tables a state document writes to.
let documentTables = ["partner", "organisation", "organisation_partner", "user", "endpoint", "release", "release_build"]

/// Row count of every table a document writes to.
func rowCounts(_ store: Store) throws -> [String: Int] {
    try store.read { db in
        var counts: [String: Int] = [:]
        for table in documentTables {
            counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? -1
        }
        return counts
    }
}

/// `store.list(kind)` as one dictionary per row, keyed by the row's first column (its id).
func listed(_ store: Store, _ kind: EntityKind) throws -> [String: [String: JSONValue]] {
    let (columns, rows) = try store.list(kind)
    var result: [String: [String: JSONValue]] = [:]
    for row in rows {
        let object = Dictionary(uniqueKeysWithValues: zip(columns, row))
        guard case .string(let id) = row[0] else { continue }
        result[id] = object
    }
    return result
}

func json(_ text: String) -> Data { Data(text.utf8) }

let sha = String(repeating: "ab", count: 32)

/// A valid document holding every entity kind, with most optional fields set.
let fullDocument = """
    {
      "partners": [
        {"id": "p-1", "name": "Acme MSP", "locale": "fr", "release_management": true,
         "allow_customer_override": false, "schedule": {"cadence": "latest", "defer_weeks": 2},
         "upgrade_policy": "manual", "upgrade_delay_days": 45, "end_user_deferral_days": 10, "billing_day": 15},
        {"id": "p-2", "name": "Beta MSP"}
      ],
      "organisations": [
        {"id": "o-1", "name": "Org One", "partners": ["p-1"], "generation": "legacy",
         "schedule": {"cadence": "slow", "defer_weeks": 8, "origin": "customer"},
         "allow_customer_override": true, "legacy_defer_months": 3, "upgrade_delay_days": 20},
        {"id": "o-2", "name": "Org Two", "partners": ["p-2", "p-1"], "generation": "cloud"}
      ],
      "users": [
        {"id": "u-1", "organisation": "o-1", "name": "Ada", "automatic_upgrades": "off"},
        {"id": "u-2", "organisation": "o-2", "name": "Bob"}
      ],
      "endpoints": [
        {"id": "e-1", "organisation": "o-1", "user": "u-1", "platform": "windows", "os_version": "11",
         "installed_version": "45.1.0", "agent_generation": "legacy", "agent_version": "14.3",
         "last_check_in": "2026-03-02T10:00:00Z"},
        {"id": "e-2", "organisation": "o-2", "platform": "ios", "installed_version": "44.12"}
      ],
      "releases": [
        {"version": "45.2.0", "automatic_date": "2026-03-09T15:00:00Z", "critical": true,
         "builds": [
           {"platform": "windows", "file": "webex-45.2.0.msi", "size": 123456, "sha256": "\(sha)"},
           {"platform": "macos", "file": "webex-45.2.0.dmg", "size": 654321, "sha256": "\(sha)"}
         ]}
      ]
    }
    """
