public import Foundation

/// What the new generation requires of an organisation before its upgrade (UPG-3). The defaults are
/// the SPEC's wording turned into numbers; the configuration may replace any of them.
///
/// - `checkInDays` 30: `Policy.readinessCheckInDays`, counted in calendar days (CAL-4).
/// - `minimumOSVersions`: the platforms the new agent supports and the oldest OS version on each.
///   Defaults: `windows` 10.0.17763 (Windows 10 1809 / Server 2019), `macos` 12.0 (Monterey),
///   `linux` 4.18 (the kernel version, which is what agents report on Linux; RHEL 8's kernel).
///   Mobile platforms are not in the map, so a phone or tablet enrolled as an endpoint fails the
///   check: the new agent is desktop-only. Add `ios`/`android` entries to accept them.
/// - `minimumAgentVersion` 14.0.0: the oldest legacy agent the upgrade path takes over.
/// - `featuresMissingInCloud`: policy features of the legacy generation that the cloud generation
///   lacks, as the ids the legacy console reports: `host_integrity`, `custom_ips_signatures`,
///   `location_awareness`.
public struct ReadinessCriteria: Hashable, Sendable {
    public var checkInDays: Int
    public var minimumOSVersions: [Platform: Version]
    public var minimumAgentVersion: Version
    public var featuresMissingInCloud: Set<String>

    public static let defaultMinimumOSVersions: [Platform: Version] = [
        .windows: Version("10.0.17763")!,
        .macos: Version("12.0")!,
        .linux: Version("4.18")!,
    ]
    public static let defaultMinimumAgentVersion = Version("14.0.0")!
    public static let defaultFeaturesMissingInCloud: Set<String> = ["host_integrity", "custom_ips_signatures", "location_awareness"]

    public init(
        checkInDays: Int = Policy().readinessCheckInDays,
        minimumOSVersions: [Platform: Version] = Self.defaultMinimumOSVersions,
        minimumAgentVersion: Version = Self.defaultMinimumAgentVersion,
        featuresMissingInCloud: Set<String> = Self.defaultFeaturesMissingInCloud
    ) {
        self.checkInDays = checkInDays
        self.minimumOSVersions = minimumOSVersions
        self.minimumAgentVersion = minimumAgentVersion
        self.featuresMissingInCloud = featuresMissingInCloud
    }

    /// The oldest check-in that still counts as recent at `now`: `checkInDays` calendar days
    /// earlier (CAL-4). A check-in exactly at the cutoff counts. The store compares with it in SQL.
    public func checkInCutoff(at now: Date, calendar: BusinessCalendar) -> Date {
        calendar.adding(days: -checkInDays, to: now)
    }

    /// Checked in at or after the cutoff. An endpoint that never checked in has not.
    public func hasCheckedInRecently(_ lastCheckIn: Date?, at now: Date, calendar: BusinessCalendar) -> Bool {
        guard let lastCheckIn else { return false }
        return lastCheckIn >= checkInCutoff(at: now, calendar: calendar)
    }

    /// A platform in `minimumOSVersions` with an OS version at or above its minimum. An unknown
    /// OS version cannot be shown to be supported, so it is not.
    public func isSupported(platform: Platform, osVersion: Version?) -> Bool {
        guard let minimum = minimumOSVersions[platform], let osVersion else { return false }
        return osVersion >= minimum
    }

    /// At or above `minimumAgentVersion`; an unknown agent version is not.
    public func hasCurrentAgent(_ agentVersion: Version?) -> Bool {
        guard let agentVersion else { return false }
        return agentVersion >= minimumAgentVersion
    }
}

/// The readiness facts of one endpoint, for callers that hold rows rather than counts.
public struct EndpointReadinessFacts: Hashable, Sendable {
    public let id: String
    public let platform: Platform
    public let osVersion: Version?
    public let agentVersion: Version?
    public let lastCheckIn: Date?

    public init(id: String, platform: Platform, osVersion: Version?, agentVersion: Version?, lastCheckIn: Date?) {
        self.id = id
        self.platform = platform
        self.osVersion = osVersion
        self.agentVersion = agentVersion
        self.lastCheckIn = lastCheckIn
    }
}

/// What UPG-3 needs to know about an organisation, as counts the store can compute set-based:
/// how many endpoints fail each endpoint check, with a few of their ids for the reason.
public struct ReadinessFacts: Hashable, Sendable {
    /// Endpoints failing one check: how many, and some of their ids (the reason lists at most
    /// `Readiness.listedIDs` of them).
    public struct Failing: Hashable, Sendable {
        public let count: Int
        public let sampleIDs: [String]

        public static let none = Failing(count: 0, sampleIDs: [])

        public init(count: Int, sampleIDs: [String]) {
            self.count = count
            self.sampleIDs = sampleIDs
        }
    }

    public let endpointCount: Int
    public let notCheckedInRecently: Failing
    public let unsupportedPlatform: Failing
    public let outdatedAgent: Failing
    /// Features the organisation's policies use; only those in `featuresMissingInCloud` matter.
    public let policyFeaturesInUse: Set<String>

    public init(
        endpointCount: Int,
        notCheckedInRecently: Failing = .none,
        unsupportedPlatform: Failing = .none,
        outdatedAgent: Failing = .none,
        policyFeaturesInUse: Set<String> = []
    ) {
        self.endpointCount = endpointCount
        self.notCheckedInRecently = notCheckedInRecently
        self.unsupportedPlatform = unsupportedPlatform
        self.outdatedAgent = outdatedAgent
        self.policyFeaturesInUse = policyFeaturesInUse
    }

    /// Counts `endpoints` against `criteria` at `now`; sample ids keep the endpoints' order.
    public init(
        endpoints: [EndpointReadinessFacts],
        policyFeaturesInUse: Set<String>,
        criteria: ReadinessCriteria,
        at now: Date,
        calendar: BusinessCalendar
    ) {
        func failing(_ fails: (EndpointReadinessFacts) -> Bool) -> Failing {
            let ids = endpoints.filter(fails).map(\.id)
            return Failing(count: ids.count, sampleIDs: Array(ids.prefix(Readiness.listedIDs)))
        }
        self.init(
            endpointCount: endpoints.count,
            notCheckedInRecently: failing { !criteria.hasCheckedInRecently($0.lastCheckIn, at: now, calendar: calendar) },
            unsupportedPlatform: failing { !criteria.isSupported(platform: $0.platform, osVersion: $0.osVersion) },
            outdatedAgent: failing { !criteria.hasCurrentAgent($0.agentVersion) },
            policyFeaturesInUse: policyFeaturesInUse)
    }
}

/// One line of the readiness checklist (UPG-3): a stable name, pass or fail, and why, in every
/// notification language.
public struct ReadinessItem: Hashable, Sendable {
    public enum Name: String, CaseIterable, Sendable {
        case checkedInRecently = "checked_in_recently"
        case supportedPlatform = "supported_platform"
        case agentVersion = "agent_version"
        case policyFeatures = "policy_features"
    }

    public let name: Name
    public let passed: Bool
    public let reason: LocalizedText

    public init(name: Name, passed: Bool, reason: LocalizedText) {
        self.name = name
        self.passed = passed
        self.reason = reason
    }
}

/// The readiness checklist of an organisation (UPG-3): one item per `ReadinessItem.Name`, in that
/// order. The organisation is ready when every item passes.
///
/// An organisation with no endpoints is ready: each endpoint check holds for all of its (zero)
/// endpoints and says "no endpoints to check", and nothing can be left without an agent (UPG-6).
/// Its policy features are still checked.
public struct Readiness: Hashable, Sendable {
    /// How many ids of failing endpoints a reason lists before "and N more".
    public static let listedIDs = 5

    public let items: [ReadinessItem]

    public init(facts: ReadinessFacts, criteria: ReadinessCriteria) {
        let supported = criteria.minimumOSVersions.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) \($0.value)+" }.joined(separator: ", ")
        let days = criteria.checkInDays
        let agent = criteria.minimumAgentVersion
        items = [
            Self.endpointItem(
                .checkedInRecently, total: facts.endpointCount, failing: facts.notCheckedInRecently,
                passed: LocalizedText(
                    en: "every endpoint checked in within \(days) days",
                    fr: "tous les terminaux se sont connectés au cours des \(days) derniers jours"),
                failed: { one in LocalizedText(
                    en: "\(one ? "has" : "have") not checked in within \(days) days",
                    fr: one ? "ne s'est pas connecté depuis \(days) jours" : "ne se sont pas connectés depuis \(days) jours") }),
            Self.endpointItem(
                .supportedPlatform, total: facts.endpointCount, failing: facts.unsupportedPlatform,
                passed: LocalizedText(
                    en: "every endpoint is on a supported platform and OS version",
                    fr: "tous les terminaux utilisent une plateforme et une version de système d'exploitation prises en charge"),
                failed: { one in LocalizedText(
                    en: "\(one ? "is" : "are") on an unsupported platform or OS version (supported: \(supported))",
                    fr: "\(one ? "utilise" : "utilisent") une plateforme ou une version de système d'exploitation "
                        + "non prise en charge (prises en charge : \(supported))") }),
            Self.endpointItem(
                .agentVersion, total: facts.endpointCount, failing: facts.outdatedAgent,
                passed: LocalizedText(
                    en: "every endpoint runs agent version \(agent) or later",
                    fr: "tous les terminaux ont un agent en version \(agent) ou ultérieure"),
                failed: { one in LocalizedText(
                    en: "\(one ? "runs" : "run") an agent older than \(agent) or of unknown version",
                    fr: "\(one ? "a" : "ont") un agent antérieur à la version \(agent) ou de version inconnue") }),
            Self.policyItem(missing: facts.policyFeaturesInUse.intersection(criteria.featuresMissingInCloud)),
        ]
    }

    public var isReady: Bool { items.allSatisfy(\.passed) }

    public var failingItems: [ReadinessItem] { items.filter { !$0.passed } }

    /// The failing items as one line, `name: reason; name: reason`, for the `{items}` placeholder
    /// of `upgrade_held` (UPG-7). Empty when the organisation is ready.
    public func failingItemsText(_ language: Language) -> String {
        failingItems.map { "\($0.name.rawValue): \($0.reason.text(language))" }.joined(separator: "; ")
    }

    private static func endpointItem(
        _ name: ReadinessItem.Name,
        total: Int,
        failing: ReadinessFacts.Failing,
        passed: LocalizedText,
        failed: (_ singular: Bool) -> LocalizedText
    ) -> ReadinessItem {
        guard total > 0 else {
            return ReadinessItem(name: name, passed: true, reason: LocalizedText(en: "no endpoints to check", fr: "aucun terminal à vérifier"))
        }
        guard failing.count > 0 else {
            return ReadinessItem(
                name: name, passed: true,
                reason: LocalizedText(
                    en: "\(passed.en) (\(total) endpoint\(total == 1 ? "" : "s"))",
                    fr: "\(passed.fr) (\(total) termina\(total == 1 ? "l" : "ux"))"))
        }
        let predicate = failed(failing.count == 1)
        let count = "\(failing.count)"
        let listed = Array(failing.sampleIDs.prefix(listedIDs))
        let more = failing.count - listed.count
        let ids = listed.joined(separator: ", ")
        return ReadinessItem(
            name: name, passed: false,
            reason: LocalizedText(
                en: "\(count) of \(total) endpoint\(total == 1 ? "" : "s") \(predicate.en)"
                    + (listed.isEmpty ? "" : ": \(ids)") + (more > 0 && !listed.isEmpty ? " and \(more) more" : ""),
                fr: "\(count) termina\(failing.count == 1 ? "l" : "ux") sur \(total) \(predicate.fr)"
                    + (listed.isEmpty ? "" : " : \(ids)") + (more > 0 && !listed.isEmpty ? " et \(more) autre\(more == 1 ? "" : "s")" : "")))
    }

    private static func policyItem(missing: Set<String>) -> ReadinessItem {
        guard !missing.isEmpty else {
            return ReadinessItem(
                name: .policyFeatures, passed: true,
                reason: LocalizedText(
                    en: "no policy uses a feature the cloud generation lacks",
                    fr: "aucune politique n'utilise de fonctionnalité absente de la génération cloud"))
        }
        let features = missing.sorted().joined(separator: ", ")
        return ReadinessItem(
            name: .policyFeatures, passed: false,
            reason: LocalizedText(
                en: "policies use features the cloud generation lacks: \(features)",
                fr: "les politiques utilisent des fonctionnalités absentes de la génération cloud : \(features)"))
    }
}
