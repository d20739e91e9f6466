import Foundation
import RolloutCore

/// Builds a state document (docs/state-document.md) for the release-management scenarios, so
/// each test declares only the partners, organisations, users, endpoints and releases it is about.
struct ReleaseDocument {
    private var partners: [[String: Any]] = []
    private var organisations: [[String: Any]] = []
    private var users: [[String: Any]] = []
    private var endpoints: [[String: Any]] = []
    private var releases: [[String: Any]] = []

    init() {}

    /// A partner; release management on unless told otherwise. `schedule` is (cadence, weeks).
    mutating func partner(_ id: String, releaseManagement: Bool = true, schedule: (String, Int)? = nil,
                          allowCustomerOverride: Bool = true, locale: String = "en") {
        var object: [String: Any] = [
            "id": id, "release_management": releaseManagement, "allow_customer_override": allowCustomerOverride,
            "locale": locale,
        ]
        if let schedule { object["schedule"] = ["cadence": schedule.0, "defer_weeks": schedule.1] }
        partners.append(object)
    }

    /// An organisation; `schedule` is (cadence, weeks, origin).
    mutating func organisation(_ id: String, partners managing: [String], schedule: (String, Int, String)? = nil,
                               allowCustomerOverride: Bool? = nil, legacyDeferMonths: Int? = nil) {
        var object: [String: Any] = ["id": id, "partners": managing]
        if let schedule { object["schedule"] = ["cadence": schedule.0, "defer_weeks": schedule.1, "origin": schedule.2] }
        if let allowCustomerOverride { object["allow_customer_override"] = allowCustomerOverride }
        if let legacyDeferMonths { object["legacy_defer_months"] = legacyDeferMonths }
        organisations.append(object)
    }

    mutating func user(_ id: String, organisation: String, automaticUpgrades: String = "inherit") {
        users.append(["id": id, "organisation": organisation, "automatic_upgrades": automaticUpgrades])
    }

    mutating func endpoint(_ id: String, organisation: String, user: String?, platform: String, installed: String) {
        var object: [String: Any] = ["id": id, "organisation": organisation, "platform": platform, "installed_version": installed]
        if let user { object["user"] = user }
        endpoints.append(object)
    }

    /// A release with one build per platform. Unless `anyDay`, its automatic date must be a
    /// Tuesday at 08:00 in America/Los_Angeles, as the vendor's monthly releases are.
    mutating func release(_ version: String, _ automaticDate: String, critical: Bool = false,
                          platforms: [String] = ["windows", "macos", "linux"], anyDay: Bool = false) {
        if !anyDay { RMCatalogue.checkTuesdayMorning(automaticDate) }
        let builds: [[String: Any]] = platforms.map { platform in
            let file = switch platform {
            case "windows": "rollout-app-\(version)-x64.msi"
            case "macos": "rollout-app-\(version).pkg"
            default: "rollout-app_\(version)_amd64.deb"
            }
            return ["platform": platform, "file": file, "size": 100_000_000 + file.count,
                    "sha256": RMCatalogue.fakeSHA256(file)]
        }
        releases.append(["version": version, "automatic_date": automaticDate, "critical": critical, "builds": builds])
    }

    /// Adds every release of `RMCatalogue.monthly`; with `withCritical: false`, 46.7 is an ordinary release.
    mutating func monthlyReleases(withCritical: Bool = true) {
        for entry in RMCatalogue.monthly {
            release(entry.version, entry.date, critical: entry.critical && withCritical, platforms: entry.platforms)
        }
    }

    func data() throws -> Data {
        try JSONSerialization.data(withJSONObject: [
            "partners": partners, "organisations": organisations, "users": users, "endpoints": endpoints,
            "releases": releases,
        ])
    }
}

/// The vendor's monthly releases the scenarios share: second Tuesday of the month at 08:00
/// Pacific (15:00Z in summer, 16:00Z in winter), builds for windows, macOS and linux.
/// Exceptions, each the point of some test:
/// - 45.11.0 is dated Tuesday 2025-11-11, Veterans Day: no business-day boundary that day;
/// - 46.10.0 is dated the third Tuesday of October (10-20), so +2 weeks crosses the end of DST
///   (2026-11-01), and it ships no linux build;
/// - 46.7.0 is critical.
enum RMCatalogue {
    struct Entry {
        let version: String
        let date: String
        var critical = false
        var platforms = ["windows", "macos", "linux"]
    }

    static let monthly: [Entry] = [
        Entry(version: "45.10.0", date: "2025-10-14T15:00:00Z"),
        Entry(version: "45.11.0", date: "2025-11-11T16:00:00Z"),
        Entry(version: "45.12.0", date: "2025-12-09T16:00:00Z"),
        Entry(version: "46.1.0", date: "2026-01-13T16:00:00Z"),
        Entry(version: "46.2.0", date: "2026-02-10T16:00:00Z"),
        Entry(version: "46.3.0", date: "2026-03-10T15:00:00Z"),
        Entry(version: "46.4.0", date: "2026-04-14T15:00:00Z"),
        Entry(version: "46.5.0", date: "2026-05-12T15:00:00Z"),
        Entry(version: "46.6.0", date: "2026-06-09T15:00:00Z"),
        Entry(version: "46.7.0", date: "2026-07-14T15:00:00Z", critical: true),
        Entry(version: "46.8.0", date: "2026-08-11T15:00:00Z"),
        Entry(version: "46.9.0", date: "2026-09-08T15:00:00Z"),
        Entry(version: "46.10.0", date: "2026-10-20T15:00:00Z", platforms: ["windows", "macos"]),
        Entry(version: "46.11.0", date: "2026-11-10T16:00:00Z"),
        Entry(version: "46.12.0", date: "2026-12-08T16:00:00Z"),
    ]

    /// Stops a test whose fixture dates a monthly release anywhere but Tuesday 08:00 Pacific.
    static func checkTuesdayMorning(_ text: String) {
        guard let date = Instant.parse(text) else { fatalError("bad release date \(text)") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/Los_Angeles")!
        let parts = calendar.dateComponents([.weekday, .hour, .minute, .second], from: date)
        precondition(parts.weekday == 3 && parts.hour == 8 && parts.minute == 0 && parts.second == 0,
                     "release date \(text) is not a Tuesday at 08:00 America/Los_Angeles")
    }

    /// 64 hex digits derived from the file name: the catalogue needs a well-formed sha256 only.
    static func fakeSHA256(_ file: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in file.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let chunk = String(hash, radix: 16)
        let padded = String(repeating: "0", count: 16 - chunk.count) + chunk
        return String(repeating: padded, count: 4)
    }
}
