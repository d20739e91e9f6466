import Foundation
import GRDB

/// The files around the database: who may read them, how copies are created, and what to say
/// when the filesystem says no. The database holds customer data: it is readable by its owner
/// and the `rolloutd` group of operators (read-only commands without root), never by others,
/// and every copy is private to whoever made it (0600).
enum DatabaseFiles {
    /// A new database file: owner read-write, group read (the directory's group, `rolloutd`
    /// under the unit), nothing for others. SQLite gives the -wal and -shm files the same mode.
    static let databaseMode: mode_t = 0o640
    /// A new state directory: the group may enter and list it.
    static let directoryMode: mode_t = 0o750
    /// Backups and scratch copies: only their owner.
    static let copyMode: mode_t = 0o600

    /// Creates the parent directory and an empty database file with `databaseMode` when they do
    /// not exist, so the process umask never makes customer data world-readable.
    static func prepare(database path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: Int(directoryMode)])
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, databaseMode)
        if fd >= 0 {
            // The umask may have narrowed the mode; it may not widen it, so set it exactly.
            fchmod(fd, databaseMode)
            close(fd)
        } else if errno != EEXIST {
            throw StoreError(code: .cannotOpen, message: "cannot create the database at \(path): \(reason(errno))")
        }
    }

    /// The database exists and this user may read it; else an error that says which.
    static func requireReadable(database path: String) throws(StoreError) {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT { throw StoreError(code: .cannotOpen, message: "no database at \(path)") }
            throw StoreError(code: .cannotOpen, message: "cannot read the database at \(path): \(reason(errno))")
        }
        if access(path, R_OK) != 0 {
            throw StoreError(code: .cannotOpen, message: "cannot read the database at \(path): \(reason(errno))")
        }
    }

    /// True when a reader could not create the -shm file SQLite needs for a WAL database, and
    /// there is no write-ahead log with content it would miss: on a read-only filesystem, or
    /// in a directory this user may only read, while no process has the database open.
    static func cannotCreateSharedMemory(database path: String) -> Bool {
        var info = stat()
        let walEmpty = stat(path + "-wal", &info) != 0 || info.st_size == 0
        guard walEmpty, stat(path + "-shm", &info) != 0 else { return false }
        var volume = statvfs()
        if statvfs(path, &volume) == 0, volume.f_flag & UInt(ST_RDONLY) != 0 { return true }
        let directory = (path as NSString).deletingLastPathComponent
        return access(directory.isEmpty ? "." : directory, W_OK) != 0
    }

    /// `path` for an SQLite `file:` URI.
    static func uriEscaped(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }

    /// Creates `path` empty with `copyMode`, never through a symbolic link; an existing file is
    /// refused unless `overwrite`, and then emptied (with its stale -wal and -shm removed, which
    /// SQLite would otherwise replay into the copy) and made private.
    static func createPrivate(_ path: String, overwrite: Bool) throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFLNK {
                throw StoreError(code: .refused, message: "\(path) is a symbolic link: refusing to write through it; give the real path")
            }
            guard overwrite else {
                throw StoreError(code: .refused, message: "\(path) already exists: refusing to overwrite it (use --force to replace it)")
            }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw StoreError(code: .refused, message: "\(path) is not a regular file: refusing to overwrite it")
            }
            for suffix in ["-wal", "-shm", "-journal"] where lstat(path + suffix, &info) == 0 {
                guard unlink(path + suffix) == 0 else {
                    throw StoreError(code: .refused, message: "cannot remove \(path + suffix): \(reason(errno))")
                }
            }
            let fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw StoreError(code: .refused, message: "cannot write \(path): \(reason(errno))") }
            defer { close(fd) }
            guard fchmod(fd, copyMode) == 0, ftruncate(fd, 0) == 0 else {
                throw StoreError(code: .refused, message: "cannot write \(path): \(reason(errno))")
            }
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, copyMode)
        guard fd >= 0 else { throw StoreError(code: .refused, message: "cannot create \(path): \(reason(errno))") }
        fchmod(fd, copyMode)
        close(fd)
    }

    /// The error as an operator reads it: SQLite's "unable to open" or "readonly" caused by file
    /// permissions says "permission denied" and names the file.
    static func explain(_ error: any Error, path: String) -> String {
        if let error = error as? DatabaseError,
           [.SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH].contains(error.resultCode) {
            for file in [path, path + "-wal", path + "-shm", (path as NSString).deletingLastPathComponent]
            where FileManager.default.fileExists(atPath: file) && access(file, R_OK | W_OK) != 0 && errno == EACCES {
                return "permission denied on \(file) (\(error.message ?? "\(error.resultCode)"))"
            }
        }
        return "\(error)"
    }

    static func reason(_ code: Int32) -> String {
        code == EACCES || code == EPERM ? "permission denied" : String(cString: strerror(code))
    }
}
