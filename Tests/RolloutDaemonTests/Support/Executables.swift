import Foundation

/// The package root, found from this file's path: Tests/RolloutDaemonTests/Support/Executables.swift.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // Support
    .deletingLastPathComponent()  // RolloutDaemonTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()

/// A built executable of this package (`swift test` builds them with the tests).
func builtExecutable(_ name: String) -> URL {
    packageRoot.appendingPathComponent(".build/debug/\(name)")
}

/// What a finished process printed and how it exited.
struct ProcessResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs `executable` with `arguments` in `directory`, its output captured in files (no pipe can
/// fill up and block it), and waits for it to exit.
func runProcess(_ executable: URL, _ arguments: [String], in directory: TemporaryDirectory,
                environment: [String: String] = [:]) throws -> ProcessResult {
    let id = UUID().uuidString
    let outURL = URL(fileURLWithPath: directory.path("stdout-\(id)"))
    let errURL = URL(fileURLWithPath: directory.path("stderr-\(id)"))
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    defer {
        try? out.close()
        try? err.close()
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory.url
    // No STATE_DIRECTORY, NOTIFY_SOCKET or JOURNAL_STREAM from whatever runs the tests.
    var env = ProcessInfo.processInfo.environment
    for key in ["STATE_DIRECTORY", "NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID"] { env[key] = nil }
    env.merge(environment) { $1 }
    process.environment = env
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
        stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}
