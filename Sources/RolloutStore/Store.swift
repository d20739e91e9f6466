public import Foundation
public import GRDB

/// The SQLite database every process of rolloutd shares: the daemon, `rolloutctl`, and the
/// consoles that write requests and read the notification outbox.
///
/// WAL lets readers proceed while one process writes; the busy timeout makes a second writer
/// (the CLI while the daemon commits a wake) wait instead of failing. Every write that decides
/// something runs in a `BEGIN IMMEDIATE` transaction, so two writers never decide from the same
/// stale snapshot.
public final class Store: Sendable {
    public let path: String
    let pool: any DatabaseWriter

    /// Opens (creating if needed) and migrates the database at `path`. Read-only, it neither
    /// creates nor migrates nor checkpoints: the file stays byte-for-byte as it was (forecast,
    /// status), a database of another schema version is refused, and on a read-only filesystem
    /// the file is opened as immutable (nobody can write it there).
    ///
    /// A database whose schema is newer than this build's (it was migrated by a newer release)
    /// is refused with `StoreError.Code.newerSchema`: an old build must not write rows a newer
    /// schema gives another meaning (DMN-7).
    public init(path: String, busyTimeout: TimeInterval = 5, readOnly: Bool = false) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = Self.busyMode(timeout: busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.readonly = readOnly
        configuration.prepareDatabase { db in
            // A committed wake must survive power loss: it carries notifications (NOT-1).
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        if readOnly {
            pool = try Self.openReadOnly(path: path, configuration: configuration)
            return
        }
        do {
            try DatabaseFiles.prepare(database: path)
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(code: .cannotOpen, message: "cannot open the database at \(path): \(DatabaseFiles.explain(error, path: path))")
        }
        do {
            try pool.read { db in try Self.refuseNewerSchema(db, path: path) }
            try Migrations.migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(code: .cannotOpen, message: "cannot open the database at \(path): \(DatabaseFiles.explain(error, path: path))")
        }
    }

    private static func openReadOnly(path: String, configuration: Configuration) throws(StoreError) -> any DatabaseWriter {
        do {
            try DatabaseFiles.requireReadable(database: path)
            let reader: any DatabaseWriter
            if DatabaseFiles.cannotCreateSharedMemory(database: path) {
                // WAL needs a -shm file it cannot create here (a read-only filesystem, an operator
                // of the rolloutd group while no daemon has the file open): with no write-ahead
                // log to read either, the file is the whole database, and immutable reads it as is.
                reader = try DatabaseQueue(path: "file:\(DatabaseFiles.uriEscaped(path))?immutable=1", configuration: configuration)
            } else {
                reader = try DatabasePool(path: path, configuration: configuration)
            }
            try reader.read { db in
                try refuseNewerSchema(db, path: path)
                let applied = try Migrations.migrator.appliedIdentifiers(db).count
                guard applied == Migrations.latestVersion else {
                    throw StoreError(code: .cannotOpen, message: "the database at \(path) has schema \(applied), this build needs \(Migrations.latestVersion); run the daemon or any writing command once to migrate it")
                }
            }
            return reader
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(code: .cannotOpen, message: "cannot open the database at \(path) read-only: \(DatabaseFiles.explain(error, path: path))")
        }
    }

    /// Migrations this build does not know mean a newer release migrated the file.
    private static func refuseNewerSchema(_ db: Database, path: String) throws {
        guard try db.tableExists("grdb_migrations") else { return }
        let known = Set(Migrations.migrator.migrations)
        let unknown = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations").filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw StoreError(code: .newerSchema, message: "the database at \(path) has a newer schema than this build knows "
                             + "(unknown migration\(unknown.count == 1 ? "" : "s"): \(unknown.sorted().joined(separator: ", "))); "
                             + "it was migrated by a newer release of rolloutd: run that release, or restore a backup taken before the upgrade")
        }
    }

    /// Writers beside the daemon (the CLI, consoles) must get a turn between two wakes, which
    /// may be only milliseconds apart during a catch-up. SQLite's default busy handler sleeps up
    /// to 100 ms between tries and keeps missing the gap; this one tries every millisecond
    /// until the timeout (DMN-7).
    private static func busyMode(timeout: TimeInterval) -> Database.BusyMode {
        guard timeout > 0 else { return .immediateError }
        let tries = Int((timeout * 1_000).rounded(.up))
        return .callback { attempt in
            guard attempt < tries else { return false }
            usleep(1_000)
            return true
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

    /// `write`, suspending instead of blocking: the transaction runs on GRDB's writer queue, so
    /// the cooperative thread pool stays free while it works. Cancelling the calling task
    /// interrupts the transaction, which then rolls back.
    public func writeWithoutBlocking<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
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

    /// SQLite's `PRAGMA integrity_check`, a foreign-key check, and the schema compared with the
    /// one this build creates (a missing table or index, an object changed by hand): empty when
    /// all is well.
    public func integrityProblems() throws -> [String] {
        try pool.read { db in
            var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            let orphans = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
            problems += orphans.map { row in
                "foreign key: table \(row[0] as String? ?? "?") row \(row[1] as Int64? ?? -1) refers to a missing \(row[2] as String? ?? "?")"
            }
            return problems + (try Migrations.schemaDifferences(db))
        }
    }

    /// Folds the write-ahead log into the database file and truncates it (after a bulk load,
    /// so the next commits do not each pay for copying it).
    public func checkpoint() throws {
        _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    /// Copies the database with SQLite's online backup, safe while the daemon writes. The copy
    /// is created 0600 (it holds customer data), a symbolic link is never followed, and an
    /// existing file is replaced only with `overwrite`. The copy is not served by any daemon:
    /// its heartbeat is cleared, so `run` may simulate on it (DMN-9).
    public func backup(to destination: String, overwrite: Bool = false) throws {
        try DatabaseFiles.createPrivate(destination, overwrite: overwrite)
        let target = try DatabaseQueue(path: destination)
        try pool.backup(to: target)
        try target.write { db in
            if try db.tableExists("heartbeat") { try db.execute(sql: "DELETE FROM heartbeat") }
        }
    }
}

/// A store failure: a stable code for scripts, a message for people.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case cannotOpen = "store.cannot_open"
        /// The database was migrated by a newer release (DMN-7): the daemon exits 78.
        case newerSchema = "store.newer_schema"
        case notFound = "store.not_found"
        case refused = "store.refused"
        /// A stored row that cannot be read as what it should be; the message names the row.
        case corrupt = "store.corrupt"
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
