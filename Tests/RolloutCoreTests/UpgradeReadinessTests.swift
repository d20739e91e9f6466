import Foundation
import RolloutCore
import Testing

@Suite("UPG-3 readiness checklist")
struct UpgradeReadinessTests {
    static let calendar = BusinessCalendar()
    static let criteria = ReadinessCriteria()
    static let now = Instant.parse("2026-03-20T15:00:00Z")!
    static func at(_ text: String) -> Date { Instant.parse(text)! }

    static func endpoint(
        _ id: String, _ platform: Platform = .windows, os: String? = "10.0.19045", agent: String? = "14.3.0",
        checkIn: Date? = Instant.parse("2026-03-19T12:00:00Z")
    ) -> EndpointReadinessFacts {
        EndpointReadinessFacts(
            id: id, platform: platform, osVersion: os.flatMap(Version.init), agentVersion: agent.flatMap(Version.init), lastCheckIn: checkIn)
    }

    static func readiness(_ endpoints: [EndpointReadinessFacts], features: Set<String> = []) -> Readiness {
        Readiness(
            facts: ReadinessFacts(endpoints: endpoints, policyFeaturesInUse: features, criteria: criteria, at: now, calendar: calendar),
            criteria: criteria)
    }

    static func item(_ readiness: Readiness, _ name: ReadinessItem.Name) -> ReadinessItem {
        readiness.items.first { $0.name == name }!
    }

    @Test("items have stable names, in order")
    func names() {
        let readiness = Self.readiness([Self.endpoint("e-1")])
        #expect(readiness.items.map(\.name.rawValue) == ["checked_in_recently", "supported_platform", "agent_version", "policy_features"])
    }

    @Test("a healthy organisation passes every item, with reasons in both languages")
    func allPass() {
        let readiness = Self.readiness([Self.endpoint("e-1"), Self.endpoint("e-2", .macos, os: "14.4"), Self.endpoint("e-3", .linux, os: "5.15")])
        #expect(readiness.isReady)
        #expect(readiness.failingItems.isEmpty)
        #expect(readiness.failingItemsText(.en) == "")
        #expect(Self.item(readiness, .checkedInRecently).reason.en == "every endpoint checked in within 30 days (3 endpoints)")
        #expect(Self.item(readiness, .checkedInRecently).reason.fr == "tous les terminaux se sont connectés au cours des 30 derniers jours (3 terminaux)")
        #expect(Self.item(readiness, .agentVersion).reason.en == "every endpoint runs agent version 14.0.0 or later (3 endpoints)")
    }

    @Test("an organisation with no endpoints is ready: nothing to check")
    func noEndpoints() {
        let readiness = Self.readiness([])
        #expect(readiness.isReady)
        #expect(readiness.items.prefix(3).allSatisfy { $0.reason.en == "no endpoints to check" && $0.reason.fr == "aucun terminal à vérifier" })
        #expect(!Self.readiness([], features: ["host_integrity"]).isReady)
    }

    @Test("checked in within 30 calendar days: exactly at the cutoff passes, a second earlier or never fails")
    func checkedInRecently() {
        // 30 days before 08:00 PDT on 20 March is 08:00 PST on 18 February (CAL-4).
        #expect(Self.criteria.checkInCutoff(at: Self.now, calendar: Self.calendar) == Self.at("2026-02-18T16:00:00Z"))
        let readiness = Self.readiness([
            Self.endpoint("e-1", checkIn: Self.at("2026-02-18T16:00:00Z")),
            Self.endpoint("e-2", checkIn: Self.at("2026-02-18T15:59:59Z")),
            Self.endpoint("e-3", checkIn: nil),
        ])
        let item = Self.item(readiness, .checkedInRecently)
        #expect(!item.passed)
        #expect(!readiness.isReady)
        #expect(item.reason.en == "2 of 3 endpoints have not checked in within 30 days: e-2, e-3")
        #expect(item.reason.fr == "2 terminaux sur 3 ne se sont pas connectés depuis 30 jours : e-2, e-3")
        #expect(Self.item(readiness, .supportedPlatform).passed)
        #expect(Self.item(readiness, .agentVersion).passed)
    }

    @Test("supported platform and OS version: mobile, old or unknown OS fail; minimums pass")
    func supportedPlatform() {
        let readiness = Self.readiness([
            Self.endpoint("phone", .ios, os: "17.4"),
            Self.endpoint("old-win", .windows, os: "10.0.17762"),
            Self.endpoint("min-win", .windows, os: "10.0.17763"),
            Self.endpoint("min-mac", .macos, os: "12.0"),
            Self.endpoint("old-mac", .macos, os: "11.7.10"),
            Self.endpoint("min-linux", .linux, os: "4.18"),
            Self.endpoint("unknown", .linux, os: nil),
        ])
        let item = Self.item(readiness, .supportedPlatform)
        #expect(!item.passed)
        #expect(item.reason.en.hasPrefix("4 of 7 endpoints are on an unsupported platform or OS version"))
        #expect(item.reason.en.contains("(supported: linux 4.18+, macos 12.0+, windows 10.0.17763+)"))
        #expect(item.reason.en.hasSuffix(": phone, old-win, old-mac, unknown"))
        #expect(item.reason.fr.hasPrefix("4 terminaux sur 7 utilisent une plateforme ou une version de système d'exploitation non prise en charge"))
    }

    @Test("agent version at or above 14.0.0; below or unknown fails, singular wording for one")
    func agentVersion() {
        let readiness = Self.readiness([
            Self.endpoint("e-1", agent: "14.0"), Self.endpoint("e-2", agent: "13.9.9"), Self.endpoint("e-3", agent: "14.0.0.1"),
        ])
        let item = Self.item(readiness, .agentVersion)
        #expect(!item.passed)
        #expect(item.reason.en == "1 of 3 endpoints runs an agent older than 14.0.0 or of unknown version: e-2")
        #expect(item.reason.fr == "1 terminal sur 3 a un agent antérieur à la version 14.0.0 ou de version inconnue : e-2")
        #expect(!Self.item(Self.readiness([Self.endpoint("e-1", agent: nil)]), .agentVersion).passed)
    }

    @Test("policy features the cloud generation lacks fail, named in order; others do not matter")
    func policyFeatures() {
        let failing = Self.item(Self.readiness([Self.endpoint("e-1")], features: ["location_awareness", "firewall", "host_integrity"]), .policyFeatures)
        #expect(!failing.passed)
        #expect(failing.reason.en == "policies use features the cloud generation lacks: host_integrity, location_awareness")
        #expect(failing.reason.fr == "les politiques utilisent des fonctionnalités absentes de la génération cloud : host_integrity, location_awareness")
        #expect(Self.item(Self.readiness([Self.endpoint("e-1")], features: ["firewall"]), .policyFeatures).passed)
    }

    @Test("counts from the store: at most five ids are listed, then how many more")
    func countsAndSamples() {
        let facts = ReadinessFacts(
            endpointCount: 40,
            notCheckedInRecently: .init(count: 12, sampleIDs: ["a", "b", "c", "d", "e", "f"]),
            outdatedAgent: .init(count: 6, sampleIDs: ["a", "b", "c", "d", "e"]))
        let readiness = Readiness(facts: facts, criteria: Self.criteria)
        #expect(Self.item(readiness, .checkedInRecently).reason.en
            == "12 of 40 endpoints have not checked in within 30 days: a, b, c, d, e and 7 more")
        #expect(Self.item(readiness, .agentVersion).reason.fr.hasSuffix(" : a, b, c, d, e et 1 autre"))
        #expect(Self.item(readiness, .supportedPlatform).passed)
        #expect(readiness.failingItems.map(\.name) == [.checkedInRecently, .agentVersion])
        #expect(readiness.failingItemsText(.en).hasPrefix("checked_in_recently: 12 of 40 endpoints"))
        #expect(readiness.failingItemsText(.en).contains("; agent_version: 6 of 40 endpoints run an agent older than 14.0.0"))
        #expect(readiness.failingItemsText(.fr).hasPrefix("checked_in_recently: 12 terminaux sur 40 ne se sont pas connectés"))
    }

    @Test("criteria can be changed: mobile accepted, a longer check-in period, another minimum agent")
    func customCriteria() {
        let criteria = ReadinessCriteria(
            checkInDays: 60,
            minimumOSVersions: ReadinessCriteria.defaultMinimumOSVersions.merging([.ios: Version("16.0")!]) { $1 },
            minimumAgentVersion: Version("15.0")!)
        let endpoints = [Self.endpoint("phone", .ios, os: "17.4", checkIn: Self.at("2026-02-01T00:00:00Z"))]
        let readiness = Readiness(
            facts: ReadinessFacts(endpoints: endpoints, policyFeaturesInUse: [], criteria: criteria, at: Self.now, calendar: Self.calendar),
            criteria: criteria)
        #expect(Self.item(readiness, .checkedInRecently).passed)
        #expect(Self.item(readiness, .supportedPlatform).passed)
        #expect(!Self.item(readiness, .agentVersion).passed)
    }
}
