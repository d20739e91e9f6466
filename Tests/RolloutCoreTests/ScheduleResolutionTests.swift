import Foundation
import RolloutCore
import Testing

/// CAD-3 effective schedule, with CAD-4 (in force), CAD-5 (detach / re-attach) and CAD-10 (legacy).
@Suite("CAD-3 effective schedule")
struct ScheduleResolutionTests {
    typealias F = ReleaseFixtures
    static let partnerSetAt = F.instant("2026-02-02T18:00:00Z")
    static let orgSetAt = F.instant("2026-02-10T18:00:00Z")

    static func partner(
        _ id: String, enabled: Bool = true, _ schedule: Schedule? = nil, allowOverride: Bool = true
    ) -> PartnerReleaseSettings {
        PartnerReleaseSettings(
            partnerID: id, releaseManagementEnabled: enabled,
            schedule: schedule.map { PartnerSchedule(schedule: $0, setAt: partnerSetAt) }, allowCustomerOverride: allowOverride)
    }

    static func orgSchedule(_ schedule: Schedule, by origin: Actor) -> OrganisationSchedule {
        OrganisationSchedule(schedule: schedule, origin: origin, setAt: orgSetAt)
    }

    @Test("rule 4: release management off for the partner gives automatic")
    func releaseManagementOff() {
        let result = EffectiveSchedule.resolve(OrganisationReleaseFacts(partners: [Self.partner("P1", enabled: false, F.schedule(.slow, 12))]))
        #expect(result.schedule == .vendorDefault)
        #expect(result.reasons.map(\.finding) == [.releaseManagementOff, .vendorDefault])
        #expect(result.reasons.last?.rule == "CAD-3.4")
    }

    @Test("rule 4: release management on without a partner-level schedule gives automatic")
    func noPartnerSchedule() {
        let result = EffectiveSchedule.resolve(OrganisationReleaseFacts(partners: [Self.partner("P1")]))
        #expect(result.schedule == .vendorDefault)
        #expect(result.reasons.map(\.finding) == [.noPartnerSchedule, .vendorDefault])
    }

    @Test("rule 3: the managing partner's partner-level schedule, with who set it and when")
    func partnerLevelSchedule() {
        let result = EffectiveSchedule.resolve(OrganisationReleaseFacts(partners: [Self.partner("P1", F.schedule(.latest, 2))]))
        #expect(result.schedule == F.schedule(.latest, 2))
        let reason = result.reasons.last
        #expect(reason?.rule == "CAD-3.3")
        #expect(reason?.partnerID == "P1")
        #expect(reason?.setBy == .partner)
        #expect(reason?.setAt == Self.partnerSetAt)
        #expect(reason?.text.contains("2026-02-02T18:00:00Z") == true)
    }

    @Test("rule 2: a partner-set org-level schedule wins over the partner-level one")
    func partnerSetOrganisationSchedule() {
        let facts = OrganisationReleaseFacts(
            partners: [Self.partner("P1", F.schedule(.latest, 4))], schedule: Self.orgSchedule(F.schedule(.slow, 8), by: .partner))
        let result = EffectiveSchedule.resolve(facts)
        #expect(result.schedule == F.schedule(.slow, 8))
        #expect(result.reasons.map(\.rule) == ["CAD-3.2", "CAD-5"])
        #expect(result.reasons[0].setBy == .partner)
        #expect(result.reasons[0].setAt == Self.orgSetAt)
    }

    @Test("rule 2: an org-level schedule set earlier stays in force after release management is turned off")
    func organisationScheduleOutlivesFeatureToggle() {
        let facts = OrganisationReleaseFacts(
            partners: [Self.partner("P1", enabled: false, F.schedule(.latest, 4))],
            schedule: Self.orgSchedule(F.schedule(.slow, 8), by: .customer))
        #expect(EffectiveSchedule.resolve(facts).schedule == F.schedule(.slow, 8))
        #expect(EffectiveSchedule.resolve(OrganisationReleaseFacts(partners: facts.partners)).schedule == .vendorDefault)
    }

    @Test("rule 1: two partners whose schedules differ give automatic, reason conflict, before any org-level schedule")
    func conflict() {
        let facts = OrganisationReleaseFacts(
            partners: [Self.partner("P2", F.schedule(.slow, 12)), Self.partner("P1", F.schedule(.latest, 4))],
            schedule: Self.orgSchedule(F.schedule(.slow, 8), by: .partner))
        let result = EffectiveSchedule.resolve(facts)
        #expect(result.schedule == .vendorDefault)
        #expect(result.reasons.map(\.finding) == [.conflict, .conflict])
        #expect(result.reasons.map(\.partnerID) == ["P1", "P2"])
        #expect(result.reasons.map(\.schedule) == [F.schedule(.latest, 4), F.schedule(.slow, 12)])
        #expect(result.reasons.allSatisfy { $0.rule == "CAD-3.1" })
    }

    @Test("rule 1: a partner with release management off gives the vendor default, whatever schedule it kept, so it conflicts")
    func conflictWithFeatureOff() {
        let facts = OrganisationReleaseFacts(partners: [
            Self.partner("P1", F.schedule(.latest, 4)), Self.partner("P2", enabled: false, F.schedule(.latest, 4)),
        ])
        #expect(EffectiveSchedule.resolve(facts).reasons.first?.finding == .conflict)
        #expect(EffectiveSchedule.resolve(facts).schedule == .vendorDefault)
    }

    @Test("rule 1 no longer applies once the partners agree again")
    func agreementAgain() {
        let facts = OrganisationReleaseFacts(partners: [Self.partner("P1", F.schedule(.latest, 4)), Self.partner("P2", F.schedule(.latest, 4))])
        let result = EffectiveSchedule.resolve(facts)
        #expect(result.schedule == F.schedule(.latest, 4))
        #expect(result.reasons.map(\.finding) == [.partnersAgree, .partnersAgree, .partnerSchedule])
        let offAndAutomatic = OrganisationReleaseFacts(partners: [Self.partner("P1", .vendorDefault), Self.partner("P2", enabled: false)])
        #expect(EffectiveSchedule.resolve(offAndAutomatic).schedule == .vendorDefault)
        #expect(EffectiveSchedule.resolve(offAndAutomatic).reasons.first?.finding == .partnersAgree)
    }

    @Test("CAD-4: a customer-set schedule is in force while override is allowed")
    func customerScheduleInForce() {
        let facts = OrganisationReleaseFacts(
            partners: [Self.partner("P1", F.schedule(.latest, 4))], schedule: Self.orgSchedule(F.schedule(.slow, 12), by: .customer))
        let result = EffectiveSchedule.resolve(facts)
        #expect(result.schedule == F.schedule(.slow, 12))
        #expect(result.reasons.first?.setBy == .customer)
        #expect(result.reasons.first?.rule == "CAD-3.2")
    }

    @Test("CAD-4: the partner turns override off after a customer set a schedule: the partner's applies")
    func partnerTurnsOverrideOff() {
        let customerSet = Self.orgSchedule(F.schedule(.slow, 12), by: .customer)
        let partnerOff = OrganisationReleaseFacts(
            partners: [Self.partner("P1", F.schedule(.latest, 4), allowOverride: false)], schedule: customerSet)
        let result = EffectiveSchedule.resolve(partnerOff)
        #expect(result.schedule == F.schedule(.latest, 4))
        #expect(result.reasons.map(\.rule) == ["CAD-4", "CAD-3.3"])
        #expect(result.reasons[0].finding == .organisationScheduleNotInForce)
        #expect(result.reasons[0].text.contains("partner P1"))

        let orgToggleOff = OrganisationReleaseFacts(
            partners: [Self.partner("P1", F.schedule(.latest, 4))], schedule: customerSet, allowCustomerOverride: false)
        #expect(EffectiveSchedule.resolve(orgToggleOff).schedule == F.schedule(.latest, 4))
        let orgToggleOn = OrganisationReleaseFacts(
            partners: [Self.partner("P1", F.schedule(.latest, 4), allowOverride: false)], schedule: customerSet, allowCustomerOverride: true)
        #expect(EffectiveSchedule.resolve(orgToggleOn).schedule == F.schedule(.slow, 12))
    }

    @Test("CAD-4: a partner-set org-level schedule stays in force with override off")
    func partnerSetIgnoresOverride() {
        let facts = OrganisationReleaseFacts(
            partners: [Self.partner("P1", F.schedule(.latest, 4), allowOverride: false)],
            schedule: Self.orgSchedule(F.schedule(.slow, 12), by: .partner), allowCustomerOverride: false)
        #expect(EffectiveSchedule.resolve(facts).schedule == F.schedule(.slow, 12))
    }

    @Test("CAD-5: an org-level schedule detaches from partner-level changes; removing it re-attaches")
    func detachAndReattach() {
        let orgLevel = Self.orgSchedule(F.schedule(.slow, 12), by: .customer)
        let before = EffectiveSchedule.resolve(OrganisationReleaseFacts(partners: [Self.partner("P1", F.schedule(.latest, 4))], schedule: orgLevel))
        let afterPartnerChange = EffectiveSchedule.resolve(
            OrganisationReleaseFacts(partners: [Self.partner("P1", F.schedule(.latest, 1))], schedule: orgLevel))
        #expect(before.schedule == F.schedule(.slow, 12))
        #expect(afterPartnerChange.schedule == F.schedule(.slow, 12))
        #expect(afterPartnerChange.reasons.last?.finding == .detachedFromPartner)
        #expect(afterPartnerChange.reasons.last?.schedule == F.schedule(.latest, 1))
        let removed = EffectiveSchedule.resolve(OrganisationReleaseFacts(partners: [Self.partner("P1", F.schedule(.latest, 1))]))
        #expect(removed.schedule == F.schedule(.latest, 1))
    }

    @Test("CAD-10: legacy months map 0, 1, 3 to automatic, latest 4 weeks, slow 12 weeks", arguments: [
        (0, Schedule.vendorDefault), (1, ReleaseFixtures.schedule(.latest, 4)), (3, ReleaseFixtures.schedule(.slow, 12)),
    ])
    func legacyMapping(months: Int, expected: Schedule) {
        #expect(LegacyDeferral(months: months) == .mapped(months: months, expected))
        let result = EffectiveSchedule.resolve(
            OrganisationReleaseFacts(partners: [Self.partner("P1", F.schedule(.latest, 2))], legacyDeferralMonths: months))
        #expect(result.schedule == expected)
        #expect(result.reasons.first?.rule == "CAD-10")
        #expect(result.reasons.first?.finding == .legacyMapped)
        #expect(result.reasons.first?.setting == .legacyDeferral)
    }

    @Test("CAD-10: any other legacy value is reported invalid and treated as automatic", arguments: [2, 6, -1])
    func legacyInvalid(months: Int) {
        #expect(LegacyDeferral(months: months) == .invalid(months: months))
        #expect(LegacyDeferral(months: months).schedule == .vendorDefault)
        let result = EffectiveSchedule.resolve(
            OrganisationReleaseFacts(partners: [Self.partner("P1", F.schedule(.latest, 2))], legacyDeferralMonths: months))
        #expect(result.schedule == .vendorDefault)
        #expect(result.reasons.first?.finding == .legacyInvalid)
        #expect(result.reasons.first?.text.contains("invalid") == true)
    }

    @Test("CAD-10: legacy settings are the customer's, and give way to an org-level schedule")
    func legacyPrecedence() {
        let overrideOff = EffectiveSchedule.resolve(OrganisationReleaseFacts(
            partners: [Self.partner("P1", F.schedule(.latest, 2), allowOverride: false)], legacyDeferralMonths: 3))
        #expect(overrideOff.schedule == F.schedule(.latest, 2))
        #expect(overrideOff.reasons.map(\.finding) == [.legacyMapped, .organisationScheduleNotInForce, .partnerSchedule])
        let migrated = EffectiveSchedule.resolve(OrganisationReleaseFacts(
            partners: [Self.partner("P1")], schedule: Self.orgSchedule(F.schedule(.latest, 1), by: .customer), legacyDeferralMonths: 3))
        #expect(migrated.schedule == F.schedule(.latest, 1))
        #expect(!migrated.reasons.contains { $0.rule == "CAD-10" })
    }

    @Test("the reasons render as JSON and back")
    func reasonsAreCodable() throws {
        let result = EffectiveSchedule.resolve(OrganisationReleaseFacts(
            partners: [Self.partner("P1", F.schedule(.latest, 4)), Self.partner("P2", F.schedule(.slow, 12))]))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let json = try encoder.encode(result)
        let text = try #require(String(data: json, encoding: .utf8))
        #expect(text.contains(#""rule":"CAD-3.1""#))
        #expect(text.contains(#""finding":"conflict""#))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(EffectiveSchedule.self, from: json) == result)
    }
}
