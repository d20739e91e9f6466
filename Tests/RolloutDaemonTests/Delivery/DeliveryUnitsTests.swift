import Foundation
import Testing

/// The scheduler and the deliverer units under the real systemd manager (DLV-1, DLV-3, DLV-4):
/// Tests/Integration/delivery-units.sh.
@Suite struct DeliveryUnitsTests {
    static let script = packageRoot.appendingPathComponent("Tests/Integration/delivery-units.sh").path

    @Test(.enabled(if: geteuid() == 0, "needs root to boot systemd in namespaces"),
          .enabled(if: pythonReceiverAvailable, "needs python3 with standardwebhooks (scripts/install-deps)"),
          .timeLimit(.minutes(3)))
    func aWakesNotificationsArriveAtALoopbackReceiver() async throws {
        let result = try await SystemdIntegrationTests.runScript(Self.script)
        print(result.output)
        let failures = result.output.split(separator: "\n").filter { $0.hasPrefix("FAIL:") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(result.output.contains("PASS: the wake's announcement arrived at the loopback receiver"))
        #expect(result.status == 0, "delivery-units.sh exited \(result.status)")
    }
}
