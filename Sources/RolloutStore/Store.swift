import Foundation
import GRDB

/// The SQLite database every process of rolloutd shares: the daemon, `rolloutctl`, and the
/// consoles that write requests and read the notification outbox.
///
/// WAL lets readers proceed while one process writes; the busy timeout makes a second writer
/// (the CLI while the daemon commits a wake) wait instead of failing. Every write that decides
/// something runs in a `BEGIN IMMEDIATE` transaction, so two writers never decide from the same
/// stale snapshot.
public final class Store: Sendable {
    public let path: String
    let pool: DatabasePool

    /// Opens (creating if needed) and migrates the database at `path`. Read-only, it neither
    /// creates nor migrates nor checkpoints: the file stays byte-for-byte as it was (forecast,
    /// status), and a database of another schema version is refused.
    public init(path: String, busyTimeout: TimeInterval = 5, readOnly: Bool = false) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.readonly = readOnly
        configuration.prepareDatabase { db in
            // A committed wake must survive power loss: it carries notifications (NOT-1).
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        if readOnly {
            do {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw StoreError(code: .cannotOpen, message: "no database at \(path)")
                }
                pool = try DatabasePool(path: path, configuration: configuration)
                let applied = try pool.read { db in try Migrations.migrator.appliedIdentifiers(db).count }
                guard applied == Migrations.latestVersion else {
                    throw StoreError(code: .cannotOpen, message: "the database at \(path) has schema \(applied), this build needs \(Migrations.latestVersion); run the daemon or any writing command once to migrate it")
                }
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError(code: .cannotOpen, message: "cannot open the database at \(path) read-only: \(error)")
            }
            return
        }
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            try Migrations.migrator.migrate(pool)
        } catch {
            throw StoreError(code: .cannotOpen, message: "cannot open the database at \(path): \(error)")
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: all of it commits, or none of it.
    /// Made on behalf of an API request (`Store.auditedRequest`), the write records its actor.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        let audited = Store.auditedRequest
        return try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                try audited?.record(db)
                return .commit
            }
            return result!
        }
    }

    /// Runs `body` on a consistent snapshot.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// A number that changes whenever another connection (another process) commits. The loop
    /// polls it to notice requests written by the CLI or a console: GRDB's observation only sees
    /// this process's own writes (DMN-1).
    public func externalChangeToken() throws -> Int {
        try pool.writeWithoutTransaction { db in
            try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0
        }
    }

    /// Schema version: the number of applied migrations.
    public func schemaVersion() throws -> Int {
        try pool.read { db in try Migrations.migrator.appliedIdentifiers(db).count }
    }

    /// The newest schema this build knows.
    public static var latestSchemaVersion: Int { Migrations.latestVersion }

    /// SQLite's `PRAGMA integrity_check` plus a foreign-key check: empty when all is well.
    public func integrityProblems() throws -> [String] {
        try pool.read { db in
            var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            let orphans = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
            problems += orphans.map { row in
                "foreign key: table \(row[0] as String? ?? "?") row \(row[1] as Int64? ?? -1) refers to a missing \(row[2] as String? ?? "?")"
            }
            return problems
        }
    }

    /// Folds the write-ahead log into the database file and truncates it (after a bulk load,
    /// so the next commits do not each pay for copying it).
    public func checkpoint() throws {
        try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    /// Copies the database with SQLite's online backup, safe while the daemon writes.
    public func backup(to destination: String) throws {
        let target = try DatabaseQueue(path: destination)
        try pool.backup(to: target)
    }
}

/// A store failure: a stable code for scripts, a message for people.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case cannotOpen = "store.cannot_open"
        case notFound = "store.not_found"
        case refused = "store.refused"
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
