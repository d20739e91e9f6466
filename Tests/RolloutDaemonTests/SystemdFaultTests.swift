import Foundation
import Testing

/// Issue #9 findings 3, 4 and 5 under a real systemd (Tests/Integration/systemd-faults.sh):
/// `status` after `systemctl stop`, `systemctl reload` failing on an invalid file without
/// signalling the daemon, and a full state directory the daemon comes back from by itself.
@Suite struct SystemdFaultTests {
    static let script = SystemdIntegrationTests.packageRoot.appendingPathComponent("Tests/Integration/systemd-faults.sh").path

    @Test(.enabled(if: geteuid() == 0, "needs root to boot systemd in namespaces"), .timeLimit(.minutes(3)))
    func faultsUnderARealSystemd() async throws {
        let binaries = URL(fileURLWithPath: SystemdIntegrationTests.daemonBinary()).deletingLastPathComponent().path
        for name in ["rolloutd", "rolloutctl"] {
            try #require(FileManager.default.isExecutableFile(atPath: "\(binaries)/\(name)"), "no \(name) in \(binaries)")
        }
        let result = try await SystemdIntegrationTests.runScript(Self.script)
        print(result.output)
        let failures = result.output.split(separator: "\n").filter { $0.hasPrefix("FAIL:") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        for finding in ["PASS: reload with an invalid file fails",
                        "PASS: after 12 s on a full disk the unit is not given up (not 'failed')",
                        "PASS: once the disk has room the daemon is back by itself",
                        "PASS: status exits 3 when the daemon is stopped"] {
            #expect(result.output.contains(finding), "missing: \(finding)")
        }
        #expect(result.status == 0, "systemd-faults.sh exited \(result.status)")
    }
}
