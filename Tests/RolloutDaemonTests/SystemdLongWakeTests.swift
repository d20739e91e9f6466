import Foundation
import Testing

/// DMN-6, DMN-8 under the real systemd: a wake several times longer than `WatchdogSec=` completes
/// without a watchdog kill or restart, and SIGTERM in the middle of a catch-up stops the daemon
/// after the wake in progress (Tests/Integration/systemd-long-wake.sh).
@Suite struct SystemdLongWakeTests {
    static let script = SystemdIntegrationTests.packageRoot.appendingPathComponent("Tests/Integration/systemd-long-wake.sh").path

    @Test(.enabled(if: geteuid() == 0, "needs root to boot systemd in namespaces"), .timeLimit(.minutes(8)))
    func aWakeLongerThanWatchdogSecCompletesWithoutARestart() async throws {
        let binary = SystemdIntegrationTests.daemonBinary()
        let control = URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("rolloutctl").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no rolloutd at \(binary)")
        try #require(FileManager.default.isExecutableFile(atPath: control), "no rolloutctl at \(control)")
        let result = try await SystemdIntegrationTests.runOffPool("/bin/bash", [Self.script, binary, control], mergingStandardError: true)
        print(result.output)
        let failures = result.output.split(separator: "\n").filter { $0.hasPrefix("FAIL:") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(result.output.contains("PASS: no restart (NRestarts=0)"))
        #expect(result.output.contains("PASS: that wake lasted longer than WatchdogSec=1s"))
        #expect(result.status == 0, "systemd-long-wake.sh exited \(result.status)")
    }
}
