import Foundation

/// The real `rolloutd` running in the background with a test configuration, logging to a file
/// (stderr, as outside systemd), until the test stops it with SIGTERM or kills it.
final class BackgroundDaemon {
    let process = Process()
    let log: URL

    init(config: String, in directory: TemporaryDirectory) throws {
        log = directory.url.appendingPathComponent("rolloutd-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = builtExecutable("rolloutd")
        process.arguments = ["--config", config]
        process.currentDirectoryURL = directory.url
        var env = ProcessInfo.processInfo.environment
        for key in ["STATE_DIRECTORY", "NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID"] { env[key] = nil }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits (at most `seconds`) until `condition` holds; false if it never did.
    @discardableResult
    static func eventually(_ seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(100_000)
        }
        return try condition()
    }

    /// SIGTERM, then waits for the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL: no clean stop is recorded.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill() } }
}
