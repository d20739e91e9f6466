import Foundation
import RolloutCore

/// Shared values for the release-management tests (CAD). Namespaced so the test module's other
/// suites can have helpers of their own.
enum ReleaseFixtures {
    static let calendar = BusinessCalendar()

    static func instant(_ text: String) -> Date {
        guard let date = Instant.parse(text) else { fatalError("bad instant \(text)") }
        return date
    }

    static func version(_ text: String) -> Version {
        guard let version = Version(text) else { fatalError("bad version \(text)") }
        return version
    }

    static func schedule(_ cadence: Cadence, _ weeks: Int) -> Schedule {
        do { return try Schedule(cadence: cadence, deferralWeeks: weeks) } catch { fatalError("\(error)") }
    }

    static func release(
        _ version: String, _ automaticDate: String, critical: Bool = false,
        platforms: Set<Platform> = [.windows, .macos, .linux]
    ) -> Release {
        Release(version: self.version(version), automaticDate: instant(automaticDate), critical: critical, platforms: platforms)
    }

    static func windows(_ installed: String, _ switch: AutomaticUpgrades = .inherit) -> EndpointReleaseFacts {
        EndpointReleaseFacts(platform: .windows, installedVersion: version(installed), automaticUpgrades: `switch`)
    }

    /// Monthly releases, each on the second Monday at 08:00 Pacific (the March one after the DST change).
    static let monthly: [Release] = [
        release("44.12", "2025-12-08T16:00:00Z"),
        release("45.1", "2026-01-12T16:00:00Z"),
        release("45.2", "2026-02-09T16:00:00Z"),
        release("45.3", "2026-03-09T15:00:00Z"),
        release("45.4", "2026-04-13T15:00:00Z"),
    ]

    static let monthlyTimeline = ReleaseTimeline(releases: monthly, calendar: calendar)
}
