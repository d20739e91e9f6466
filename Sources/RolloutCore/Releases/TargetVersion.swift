public import Foundation

/// What release management needs to know about an endpoint to target it (CAD-2, CAD-6, CAD-7).
public struct EndpointReleaseFacts: Hashable, Sendable {
    public let platform: Platform
    public let installedVersion: Version
    /// The switch of the endpoint's user (CAD-6). `inherit` counts as `on`: nothing above the user
    /// carries the switch in SPEC §1, and an endpoint without a user inherits too.
    public let automaticUpgrades: AutomaticUpgrades

    public init(platform: Platform, installedVersion: Version, automaticUpgrades: AutomaticUpgrades = .inherit) {
        self.platform = platform
        self.installedVersion = installedVersion
        self.automaticUpgrades = automaticUpgrades
    }
}

/// The target of one endpoint at one instant, saying which rule decided it.
public enum TargetVersion: Hashable, Sendable {
    /// A release newer than the installed version is effective for the endpoint (CAD-2).
    case upgradeTo(Version, Release)
    /// Nothing newer than the installed version is effective: the target is what it runs, since
    /// there is no downgrade, ever (CAD-2).
    case upToDate(installed: Version)
    /// The user turned automatic upgrades off: the target stays at the installed version (CAD-6).
    case userOptedOut(installed: Version)
    /// A mobile endpoint: listed, never targeted (CAD-7).
    case outOfScope(Platform)

    /// The version the endpoint should run, or nil when it is out of scope (CAD-7).
    public var version: Version? {
        switch self {
        case .upgradeTo(let version, _): version
        case .upToDate(let installed), .userOptedOut(let installed): installed
        case .outOfScope: nil
        }
    }
}

/// The releases of the catalogue read against a business calendar: which one each endpoint
/// should run under a schedule, and when the next one becomes effective (CAD-2, DMN-1).
public struct ReleaseTimeline: Sendable {
    public let releases: [Release]
    public let calendar: BusinessCalendar

    public init(releases: [Release], calendar: BusinessCalendar) {
        self.releases = releases
        self.calendar = calendar
    }

    /// The newest release effective at or before `instant` under `schedule` that ships a build for
    /// `platform` (CAD-2), whatever the endpoint runs.
    public func newestEffective(at instant: Date, under schedule: Schedule, for platform: Platform) -> Release? {
        releases
            .filter { $0.platforms.contains(platform) && $0.isEffective(at: instant, under: schedule, calendar: calendar) }
            .max { $0.version < $1.version }
    }

    /// The target of `endpoint` at `instant` under `schedule`: out of scope for mobile (CAD-7),
    /// the installed version when its user opted out (CAD-6), otherwise the newest effective
    /// release with a build for its platform if it is newer than the installed version (CAD-2).
    public func target(for endpoint: EndpointReleaseFacts, at instant: Date, under schedule: Schedule) -> TargetVersion {
        guard endpoint.platform.isDesktop else { return .outOfScope(endpoint.platform) }
        guard endpoint.automaticUpgrades != .off else { return .userOptedOut(installed: endpoint.installedVersion) }
        guard let release = newestEffective(at: instant, under: schedule, for: endpoint.platform),
              release.version > endpoint.installedVersion
        else { return .upToDate(installed: endpoint.installedVersion) }
        return .upgradeTo(release.version, release)
    }

    /// The earliest instant strictly after `instant` at which some release becomes effective
    /// under `schedule`: a deadline the daemon wakes at (DMN-1). Nil when none is left.
    public func nextEffectiveInstant(after instant: Date, under schedule: Schedule) -> Date? {
        releases
            .map { $0.effectiveInstant(under: schedule, calendar: calendar) }
            .filter { $0 > instant }
            .min()
    }
}
