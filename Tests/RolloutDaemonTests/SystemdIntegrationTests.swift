import Foundation
import RolloutDaemon
import Testing

/// DMN-5 and DMN-6 against real systemd tools: the journal catalog matches the MESSAGE_IDs the
/// daemon writes, and the unit drives the real binary under a real systemd.
@Suite struct SystemdIntegrationTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let catalogPath = packageRoot.appendingPathComponent("systemd/rolloutd.catalog").path
    static let script = packageRoot.appendingPathComponent("Tests/Integration/systemd-unit.sh").path

    /// One catalog entry: the id from its `-- <id>` line, its header fields, and its text.
    struct CatalogEntry {
        var headers: [String: String] = [:]
        var text: [String] = []
    }

    /// Parses the journald catalog format (journalctl(1) --update-catalog): an entry per
    /// `-- <32 hex digits>` line, `Key: value` headers up to the first blank line, then text.
    /// Lines before the first entry are comments; `journalctlCompilesTheCatalog` checks the rest.
    static func parseCatalog(_ contents: String) -> [String: CatalogEntry] {
        var entries: [String: CatalogEntry] = [:]
        var current: String?
        var inHeaders = false
        for line in contents.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("-- ") {
                current = String(line.dropFirst(3))
                entries[current!] = CatalogEntry()
                inHeaders = true
            } else if let id = current {
                if inHeaders, line.isEmpty {
                    inHeaders = false
                } else if inHeaders, let colon = line.firstIndex(of: ":") {
                    entries[id]!.headers[String(line[..<colon])] = line[line.index(after: colon)...]
                        .trimmingCharacters(in: .whitespaces)
                } else if !line.isEmpty {
                    entries[id]!.text.append(line)
                }
            }
        }
        return entries
    }

    @Test func everyJournalMessageHasACatalogEntry() throws {
        let entries = Self.parseCatalog(try String(contentsOfFile: Self.catalogPath, encoding: .utf8))
        #expect(Set(entries.keys) == Set(JournalMessage.allCases.map(\.id)), "catalog ids and JournalMessage cases differ")
        for message in JournalMessage.allCases {
            let entry = try #require(entries[message.id], "no catalog entry for \(message)")
            #expect(entry.headers["Subject"]?.isEmpty == false, "\(message): no Subject")
            #expect(entry.headers["Defined-By"] == "rolloutd", "\(message): Defined-By")
            #expect(entry.headers["Support"]?.isEmpty == false, "\(message): no Support")
            #expect(entry.text.joined().contains("ROLLOUT_") || message == .stopping, "\(message): fields not documented")
            #expect(!entry.text.isEmpty, "\(message): no explanation")
        }
        for id in entries.keys {
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "malformed id \(id)")
        }
    }

    /// journalctl compiles the catalog into a private root and lists every entry back.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/journalctl")))
    func journalctlCompilesTheCatalog() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rolloutd-catalog-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = root.appendingPathComponent("usr/lib/systemd/catalog")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.catalogPath, toPath: directory.appendingPathComponent("rolloutd.catalog").path)

        let update = try Self.run("/usr/bin/journalctl", ["--root=\(root.path)", "--update-catalog"])
        #expect(update.status == 0, "\(update.output)")
        let list = try Self.run("/usr/bin/journalctl", ["--root=\(root.path)", "--list-catalog", "--no-pager"])
        for message in JournalMessage.allCases {
            #expect(list.output.contains("\(message.id) rolloutd: "), "\(message) missing from --list-catalog")
        }
    }

    /// The rolloutd binary built with the tests: next to the test bundle, unless ROLLOUTD_BINARY
    /// names another one.
    static func daemonBinary() -> String {
        if let path = ProcessInfo.processInfo.environment["ROLLOUTD_BINARY"] { return path }
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("rolloutd").path
    }

    /// Boots systemd in namespaces and drives rolloutd.service through start, reload, rejected
    /// reload, watchdog restart, stop and the journal (Tests/Integration/systemd-unit.sh).
    @Test(.enabled(if: geteuid() == 0, "needs root to boot systemd in namespaces"), .timeLimit(.minutes(3)))
    func unitDrivesTheDaemonUnderARealSystemd() async throws {
        let binary = Self.daemonBinary()
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no rolloutd at \(binary)")
        let result = try await Self.runOffPool("/bin/bash", [Self.script, binary], mergingStandardError: true)
        print(result.output)
        let failures = result.output.split(separator: "\n").filter { $0.hasPrefix("FAIL:") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(result.output.contains("PASS: watchdog restarted the frozen daemon"))
        #expect(result.status == 0, "systemd-unit.sh exited \(result.status)")
    }

    /// Runs an integration script with the build directory of the tested binaries and waits for
    /// it on a thread of its own (it runs for up to a minute), not one of the concurrency pool.
    static func runScript(_ script: String) async throws -> (status: Int32, output: String) {
        let build = URL(fileURLWithPath: daemonBinary()).deletingLastPathComponent().path
        return try await runOffPool("/bin/bash", [script, build], mergingStandardError: true)
    }

    static func run(_ executable: String, _ arguments: [String], mergingStandardError: Bool = false) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = mergingStandardError ? pipe : FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `run` on a thread of its own, for scripts that take minutes: a synchronous test holds one
    /// of the cooperative pool's threads (one per core) all that time and starves the async
    /// tests beside it (on 2 cores the in-process API servers stopped answering within 30 s).
    static func runOffPool(_ executable: String, _ arguments: [String],
                           mergingStandardError: Bool = false) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try run(executable, arguments, mergingStandardError: mergingStandardError) })
            }.start()
        }
    }
}
