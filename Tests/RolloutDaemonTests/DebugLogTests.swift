import Foundation
import Testing

/// `log_level = "debug"` tells an operator troubleshooting a wake which rule decided what, per
/// organisation — never one entry per endpoint.
@Suite struct DebugLogTests {
    @Test("at debug the daemon logs each wake's decisions per organisation; at info it does not")
    func perOrganisation() async throws {
        for level in ["debug", "info"] {
            let workspace = try CLITests.Workspace(extra: "[daemon]\npoll_interval_seconds = 1\nlog_level = \"\(level)\"\n")
            defer { workspace.directory.remove() }
            let sample = packageRoot.appendingPathComponent("examples/sample-state.json").path
            #expect(try workspace.ctl("apply", sample, "--at", "2026-11-02T00:00:00Z").status == 0)
            let log = workspace.directory.path("daemon.log")
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let process = Process()
            process.executableURL = CLITests.rolloutd
            process.arguments = ["--config", workspace.config]
            var environment = ProcessInfo.processInfo.environment
            for key in ["STATE_DIRECTORY", "NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID"] { environment[key] = nil }
            process.environment = environment
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            try process.run()
            // The loaded document's retargeting is due at once: wait for its wake summary.
            var text = ""
            for _ in 0..<200 where !text.contains("MESSAGE_ID=8a70321d43144265a51bc71aea0388c8") {
                try await Task.sleep(for: .milliseconds(50))
                text = try String(contentsOfFile: log, encoding: .utf8)
            }
            process.interrupt()
            process.waitUntilExit()
            text = try String(contentsOfFile: log, encoding: .utf8)
            let perOrganisation = text.split(separator: "\n").filter { $0.contains(": organisation contoso: CAD-2 → ") }
            if level == "debug" {
                #expect(perOrganisation.count == 1, "\(text)")
                #expect(perOrganisation.first?.contains("rollout.org=contoso") == true)
                #expect(text.contains(": organisation fabrikam: CAD-2 → "))
            } else {
                #expect(perOrganisation.isEmpty, "\(text)")
            }
            #expect(!text.contains("endpoint:contoso-e1") && !text.contains("contoso-e1"), "never per endpoint: \(text)")
        }
    }
}
