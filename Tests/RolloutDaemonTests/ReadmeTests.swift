import Foundation
import Testing

/// The README's sessions paste and run as written from a checkout: every `$ rolloutctl …` line
/// (with `$ export …` lines setting the environment) runs in order, with the built binaries first
/// on PATH, in a scratch copy of the files it names; a session that starts with `apply` starts a
/// fresh database. Each printed line shown (except those with `…`) must be printed, in order; a
/// command shown with a `rolloutctl:` error must fail with it.
@Suite struct ReadmeTests {
    struct Command {
        var text: String
        var expected: [String] = []
    }

    /// The indented blocks of README.md, as commands with the output shown after each.
    static func sessions() throws -> [[Command]] {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var sessions: [[Command]] = [], current: [Command] = []
        var continuing = false
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            guard line.hasPrefix("    ") else {
                if !current.isEmpty { sessions.append(current) }
                current = []
                continue
            }
            let text = String(line.dropFirst(4))
            if continuing, var last = current.popLast() {
                last.text += "\n" + text
                current.append(last)
                continuing = text.hasSuffix("\\")
            } else if text.hasPrefix("$ ") {
                current.append(Command(text: String(text.dropFirst(2))))
                continuing = text.hasSuffix("\\")
            } else if var last = current.popLast() {
                last.expected.append(text)
                current.append(last)
            }
        }
        if !current.isEmpty { sessions.append(current) }
        return sessions.map { $0.filter { $0.text.hasPrefix("rolloutctl ") || $0.text.hasPrefix("export ") } }.filter { !$0.isEmpty }
    }

    @Test("every README session runs as written and prints what it shows")
    func sessionsRun() throws {
        let sessions = try Self.sessions()
        #expect(sessions.count >= 3, "README sessions: \(sessions.map { $0.map(\.text) })")
        var workspace: TemporaryDirectory?
        var exports: [String: String] = [:]
        defer { workspace?.remove() }
        for session in sessions {
            if session.first(where: { !$0.text.hasPrefix("export ") })?.text.hasPrefix("rolloutctl apply") == true || workspace == nil {
                workspace?.remove()
                let directory = try TemporaryDirectory()
                try FileManager.default.createDirectory(atPath: directory.path("examples"), withIntermediateDirectories: true)
                for file in ["examples/local.toml", "examples/sample-state.json"] {
                    try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent(file).path, toPath: directory.path(file))
                }
                workspace = directory
                exports = [:]
            }
            let directory = try #require(workspace)
            for command in session {
                if command.text.hasPrefix("export ") {
                    for assignment in command.text.dropFirst("export ".count).split(separator: " ") {
                        let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
                        if parts.count == 2 { exports[parts[0]] = parts[1] }
                    }
                    continue
                }
                var environment = exports
                environment["PATH"] = builtExecutable("rolloutctl").deletingLastPathComponent().path + ":"
                    + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
                let result = try runProcess(URL(fileURLWithPath: "/bin/bash"), ["-c", command.text], in: directory, environment: environment)
                let shown = command.expected.filter { !$0.contains("…") }
                if let error = shown.first(where: { $0.hasPrefix("rolloutctl: ") }) {
                    #expect(result.status != 0, "README: \(command.text)\n\(result)")
                    #expect(result.stderr.split(separator: "\n").map(String.init).contains(error), "README: \(command.text)\n\(result)")
                    continue
                }
                #expect(result.status == 0, "README: \(command.text)\n\(result)")
                var lines = result.stdoutLines[...]
                for line in shown {
                    guard let index = lines.firstIndex(of: line) else {
                        Issue.record("README: \(command.text)\nshows \"\(line)\", which it does not print (in this order):\n\(result)")
                        break
                    }
                    lines = lines[(index + 1)...]
                }
            }
        }
    }
}
