import Foundation
import Testing

/// The API's unit beside the scheduler's under a real systemd (Tests/Integration/systemd-api.sh).
@Suite struct SystemdAPITests {
    static let script = APIHarness.packageRoot.appendingPathComponent("Tests/Integration/systemd-api.sh").path

    /// The binaries built with the tests, unless ROLLOUTD_BINARY names another rolloutd.
    static func binary(_ name: String) -> String {
        if name == "rolloutd", let path = ProcessInfo.processInfo.environment["ROLLOUTD_BINARY"] { return path }
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(name).path
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to boot systemd in namespaces"), .timeLimit(.minutes(3)))
    func bothUnitsServeAnAgentTheSchedulersDecision() async throws {
        let result = try await Subprocess.run("/bin/bash", [Self.script, Self.binary("rolloutd"), Self.binary("rolloutctl")])
        print(result.output)
        let failures = result.output.split(separator: "\n").filter { $0.hasPrefix("FAIL:") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(result.output.contains("PASS: the check-in answers the target the scheduler decided"))
        #expect(result.status == 0, "systemd-api.sh exited \(result.status)")
    }
}
