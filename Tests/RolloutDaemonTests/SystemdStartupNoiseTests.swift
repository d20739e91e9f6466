import Foundation
import Testing

/// Issue #12: `systemctl status` of the three units shows no "Failed to set thread priority" line
/// from libdispatch under their hardening (Tests/Integration/systemd-startup-noise.sh).
@Suite struct SystemdStartupNoiseTests {
    static let script = packageRoot.appendingPathComponent("Tests/Integration/systemd-startup-noise.sh").path

    @Test(.enabled(if: geteuid() == 0, "needs root to boot systemd in namespaces"), .timeLimit(.minutes(3)))
    func noThreadPriorityLineInTheJournal() async throws {
        let result = try await SystemdIntegrationTests.runScript(Self.script)
        print(result.output)
        let failures = result.output.split(separator: "\n").filter { $0.hasPrefix("FAIL:") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        for unit in ["rolloutd.service", "rolloutd-deliver.service", "rolloutd-api.service"] {
            #expect(result.output.contains("PASS: shipped: no 'Failed to set thread priority' in the journal of \(unit)"))
            #expect(result.output.contains("PASS: libdispatch logging: 'Failed to set thread priority' is logged by \(unit)"),
                    "the check must see the line when libdispatch writes it")
        }
        #expect(result.status == 0, "systemd-startup-noise.sh exited \(result.status)")
    }
}
