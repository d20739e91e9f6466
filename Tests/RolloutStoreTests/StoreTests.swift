import Foundation
import GRDB
import RolloutCore
import RolloutStore
import Synchronization
import Testing

/// The database every process shares: opening and migrating, WAL, foreign keys, the busy timeout
/// that lets the CLI and the daemon write at once, integrity checks and the online backup.
@Suite struct StoreTests {
    @Test("opening a new path creates the file and migrates it to the latest schema")
    func openingCreatesAndMigrates() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let path = directory.path("nested/dir/rolloutd.sqlite")
        #expect(!FileManager.default.fileExists(atPath: path))
        let store = try Store(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(Store.latestSchemaVersion >= 1)
        #expect(try store.schemaVersion() == Store.latestSchemaVersion)
        let tables = try store.read { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        }
        for table in documentTables + ["wake", "clock", "notification", "decision", "schedule_change", "upgrade_order"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
        #expect(try store.processedThrough() == nil)
    }

    @Test("reopening a migrated file keeps its data and its schema version")
    func reopeningKeepsData() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        try directory.store().apply(json(fullDocument))
        let reopened = try directory.store()
        #expect(try reopened.schemaVersion() == Store.latestSchemaVersion)
        #expect(try rowCounts(reopened)["partner"] == 2)
    }

    @Test("the journal mode is WAL, also as seen by a plain SQLite connection")
    func walJournalMode() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        #expect(try store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        // WAL is a property of the file: an unrelated connection sees it too.
        let other = try DatabaseQueue(path: store.path)
        #expect(try other.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test("foreign keys are enforced on reads and writes")
    func foreignKeysOn() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        #expect(try store.read { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") } == 1)
        #expect(try store.write { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") } == 1)
        #expect(throws: DatabaseError.self) {
            try store.write { db in
                try db.execute(sql: """
                    INSERT INTO user (id, organisation_id, name) VALUES ('u-orphan', 'o-missing', 'Orphan')
                    """)
            }
        }
        #expect(try rowCounts(store)["user"] == 0)
    }

    @Test("a write waits for another connection's write lock up to the busy timeout given at open, then fails")
    func busyTimeoutSet() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let holder = try directory.store()
        let store = try directory.store(busyTimeout: 0.5)
        func blockedWrite(holding seconds: Double) throws -> (succeeded: Bool, waited: Double) {
            let locked = DispatchSemaphore(value: 0)
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                try? holder.write { _ in
                    locked.signal()
                    Thread.sleep(forTimeInterval: seconds)
                }
                done.signal()
            }
            locked.wait()
            let start = Date()
            let succeeded = (try? store.write { db in try db.execute(sql: "UPDATE partner SET name = name") }) != nil
            let waited = Date().timeIntervalSince(start)
            done.wait()
            return (succeeded, waited)
        }
        // The writer connection, the one that meets another process's write lock, waits as configured.
        let short = try blockedWrite(holding: 0.2)
        #expect(short.succeeded && short.waited >= 0.15, "\(short)")
        let long = try blockedWrite(holding: 1.5)
        #expect(!long.succeeded && long.waited >= 0.45 && long.waited < 1.4, "\(long)")
    }

    @Test("two Store instances on one file (the CLI and the daemon) both write, interleaved, and every write lands")
    func twoStoresWriteConcurrently() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let stores = [try directory.store(), try directory.store()]
        let failures = Mutex<[String]>([])
        let perStore = 40
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            for n in 0..<perStore {
                do {
                    try stores[index].apply(json(#"{"partners": [{"id": "p-\#(index)-\#(n)", "name": "P \#(n)"}]}"#))
                } catch {
                    failures.withLock { $0.append("store \(index) write \(n): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(try rowCounts(stores[0])["partner"] == 2 * perStore)
        #expect(try rowCounts(stores[1])["partner"] == 2 * perStore)
    }

    @Test("a writer that finds the other process's BEGIN IMMEDIATE in progress waits for it instead of failing")
    func secondWriterWaitsForFirst() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let daemon = try directory.store()
        let cli = try directory.store()
        let firstHoldsLock = DispatchSemaphore(value: 0)
        let errors = Mutex<[String]>([])
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            do {
                try daemon.write { db in
                    try db.execute(sql: "INSERT INTO partner (id, name) VALUES ('p-daemon', 'Daemon')")
                    firstHoldsLock.signal()
                    // Keep the write lock while the other store tries to write.
                    Thread.sleep(forTimeInterval: 0.3)
                }
            } catch {
                errors.withLock { $0.append("daemon: \(error)") }
            }
        }
        DispatchQueue.global().async(group: group) {
            firstHoldsLock.wait()
            do {
                try cli.write { db in try db.execute(sql: "INSERT INTO partner (id, name) VALUES ('p-cli', 'CLI')") }
            } catch {
                errors.withLock { $0.append("cli: \(error)") }
            }
        }
        group.wait()
        #expect(errors.withLock { $0 } == [])
        #expect(try Set(listed(daemon, .partners).keys) == ["p-daemon", "p-cli"])
    }

    @Test("write is all or nothing: an error inside the transaction leaves nothing behind")
    func writeRollsBackOnError() throws {
        struct Boom: Error {}
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        #expect(throws: Boom.self) {
            try store.write { db in
                try db.execute(sql: "INSERT INTO partner (id, name) VALUES ('p-1', 'One')")
                throw Boom()
            }
        }
        #expect(try rowCounts(store)["partner"] == 0)
    }

    @Test("the integrity check is clean on a loaded database")
    func integrityClean() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        try store.apply(json(fullDocument))
        #expect(try store.integrityProblems() == [])
    }

    @Test("the integrity check reports a row whose foreign key points nowhere")
    func integrityReportsOrphans() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        try store.apply(json(fullDocument))
        // Another program, foreign keys off, leaves an endpoint of an organisation that does not exist.
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let careless = try DatabaseQueue(path: store.path, configuration: configuration)
        try careless.write { db in
            try db.execute(sql: """
                INSERT INTO endpoint (id, organisation_id, platform, installed_version, installed_version_key)
                VALUES ('e-orphan', 'o-gone', 'linux', '1.0', '1')
                """)
        }
        let problems = try store.integrityProblems()
        #expect(problems.count == 1)
        #expect(problems.first?.contains("endpoint") == true)
        #expect(problems.first?.contains("organisation") == true)
    }

    @Test("backup writes a readable copy with the same rows, schema and clock")
    func backupCopiesEverything() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        try store.apply(json(fullDocument))
        let cursor = Instant.parse("2026-03-02T16:00:00Z")!
        try store.startClock(at: cursor)
        let destination = directory.path("backup/copy.sqlite")
        try FileManager.default.createDirectory(atPath: directory.path("backup"), withIntermediateDirectories: true)
        try store.backup(to: destination)

        let copy = try Store(path: destination)
        #expect(try copy.schemaVersion() == Store.latestSchemaVersion)
        #expect(try copy.integrityProblems() == [])
        #expect(try rowCounts(copy) == rowCounts(store))
        for kind in EntityKind.allCases {
            let original = try store.list(kind)
            let copied = try copy.list(kind)
            #expect(copied.columns == original.columns, "\(kind)")
            #expect(copied.rows == original.rows, "\(kind)")
        }
        #expect(try copy.processedThrough() == cursor)
        // The copy is independent: writing to the original does not change it.
        try store.apply(json(#"{"partners": [{"id": "p-late", "name": "Late"}]}"#))
        #expect(try rowCounts(copy)["partner"] == 2)
    }
}
