import Foundation
import Testing

/// Tests that change the process environment or start processes run one at a time: setenv(3) may
/// move the environment block while another thread reads it (getenv, posix_spawn).
@Suite(.serialized) enum ProcessLevelTests {}

struct ProcessResult {
    var status: Int32
    var output: String
}

/// Runs a program to completion and returns its exit status and standard output.
func run(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

/// A real systemd-journald for the handler to write to (DMN-5).
///
/// libsystemd always sends to /run/systemd/journal/socket. When a journald already listens there
/// (a systemd host, or another test run holding it), the test uses it. Otherwise it starts
/// /lib/systemd/systemd-journald standalone and, however the test ends, stops it and removes the
/// directories it created, leaving the host as it found it. A lock file keeps concurrent test
/// runs from starting two journalds or stopping one another's.
enum Journald {
    static let socketPath = "/run/systemd/journal/socket"
    static let binary = "/lib/systemd/systemd-journald"
    static let journalctl = "/usr/bin/journalctl"
    /// Created by journald when it starts, left behind (with stale sockets) when it stops.
    static let createdDirectories = ["/run/systemd/journal", "/run/log/journal"]

    struct NotListening: Error, CustomStringConvertible {
        var description: String { "systemd-journald did not start listening on \(Journald.socketPath)" }
    }

    static func withJournald<T>(_ body: () throws -> T) throws -> T {
        let lock = open(NSTemporaryDirectory() + "rolloutd-journald-test.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard lock >= 0, flock(lock, LOCK_EX) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(lock) }

        if isListening() {
            return try body()
        }
        let existing = createdDirectories.filter { FileManager.default.fileExists(atPath: $0) }
        let journald = Process()
        journald.executableURL = URL(fileURLWithPath: binary)
        journald.standardOutput = FileHandle.nullDevice
        journald.standardError = FileHandle.nullDevice
        try journald.run()
        defer {
            journald.terminate()
            journald.waitUntilExit()
            for directory in createdDirectories where !existing.contains(directory) {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        // Bounded wait for start-up; a journald that never listens fails the test, not hangs it.
        for _ in 0..<200 where !isListening() {
            usleep(50_000)
        }
        guard isListening() else { throw NotListening() }
        return try body()
    }

    /// True when something accepts datagrams on the socket; a socket file left by a stopped
    /// journald refuses the connection.
    static func isListening() -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return withUnixAddress(socketPath) { connect(descriptor, $0, $1) == 0 }
    }

    /// The entries matching `field=value`, oldest first, after asking journald to write out
    /// everything it has received (`journalctl --sync`).
    static func entries(matching field: String, _ value: String) throws -> [[String: Any]] {
        _ = try run(journalctl, ["--sync"])
        let result = try run(journalctl, ["-o", "json", "--no-pager", "--all", "\(field)=\(value)"])
        return try result.output.split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
    }

    /// A field of a `journalctl -o json` entry as text: journalctl writes values holding control
    /// characters (a newline) as an array of byte values.
    static func text(_ entry: [String: Any], _ field: String) -> String? {
        switch entry[field] {
        case let string as String:
            return string
        case let bytes as [NSNumber]:
            return String(decoding: bytes.map(\.uint8Value), as: UTF8.self)
        default:
            return nil
        }
    }
}

/// Calls `body` with a sockaddr_un for `path` and its length.
func withUnixAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    precondition(bytes.count < MemoryLayout.size(ofValue: address.sun_path), "socket path too long: \(path)")
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: bytes)
    }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
}
