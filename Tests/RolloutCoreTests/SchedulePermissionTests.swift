import Foundation
import RolloutCore
import Testing

@Suite("CAD-4 who may change release settings")
struct SchedulePermissionTests {
    typealias F = ReleaseFixtures

    static func organisation(
        enabled: Bool = true, partnerAllows: Bool = true, orgAllows: Bool? = nil
    ) -> OrganisationReleaseFacts {
        OrganisationReleaseFacts(
            partners: [PartnerReleaseSettings(partnerID: "P1", releaseManagementEnabled: enabled, allowCustomerOverride: partnerAllows)],
            allowCustomerOverride: orgAllows)
    }

    let partnerAdmin = Requester.partnerAdmin(partnerID: "P1")

    @Test("a partner admin may always set and reset an org-level schedule, override or not")
    func partnerMaySet() {
        let locked = Self.organisation(partnerAllows: false, orgAllows: false)
        #expect(SchedulePermissions.authorise(.setSchedule(cadence: .slow, deferralWeeks: 6), by: partnerAdmin, organisation: locked)
            == .success(.setSchedule(F.schedule(.slow, 6))))
        #expect(SchedulePermissions.authorise(.resetSchedule, by: partnerAdmin, organisation: locked) == .success(.resetSchedule))
        #expect(SchedulePermissions.authorise(.setAllowCustomerOverride(true), by: partnerAdmin, organisation: locked)
            == .success(.setAllowCustomerOverride(true)))
    }

    @Test("a schedule without a deferral gets the cadence's default")
    func defaultDeferral() {
        #expect(SchedulePermissions.authorise(.setSchedule(cadence: .latest), by: partnerAdmin, organisation: Self.organisation())
            == .success(.setSchedule(F.schedule(.latest, 4))))
    }

    @Test("a customer admin may set a schedule while override is allowed: partner toggle, or the org toggle when set")
    func customerWhileAllowed() {
        let request = ScheduleEditRequest.setSchedule(cadence: .latest, deferralWeeks: 2)
        #expect(SchedulePermissions.authorise(request, by: .customerAdmin, organisation: Self.organisation())
            == .success(.setSchedule(F.schedule(.latest, 2))))
        #expect(SchedulePermissions.authorise(request, by: .customerAdmin, organisation: Self.organisation(partnerAllows: false, orgAllows: true))
            == .success(.setSchedule(F.schedule(.latest, 2))))
        #expect(SchedulePermissions.authorise(.resetSchedule, by: .customerAdmin, organisation: Self.organisation()) == .success(.resetSchedule))
    }

    @Test("a customer admin is refused while override is not allowed for the organisation")
    func customerRefused() {
        let request = ScheduleEditRequest.setSchedule(cadence: .latest, deferralWeeks: 2)
        let byPartner = SchedulePermissions.authorise(request, by: .customerAdmin, organisation: Self.organisation(partnerAllows: false))
        #expect(byPartner == .failure(.customerOverrideNotAllowed(.partner("P1"))))
        let byOrg = SchedulePermissions.authorise(request, by: .customerAdmin, organisation: Self.organisation(orgAllows: false))
        #expect(byOrg == .failure(.customerOverrideNotAllowed(.organisation)))
        #expect(SchedulePermissions.authorise(.resetSchedule, by: .customerAdmin, organisation: Self.organisation(orgAllows: false))
            == .failure(.customerOverrideNotAllowed(.organisation)))
        if case .failure(let refusal) = byOrg { #expect(refusal.description.contains("not allowed")) }
    }

    @Test("a customer admin never sets the override toggle")
    func customerNeverSetsToggle() {
        #expect(SchedulePermissions.authorise(.setAllowCustomerOverride(true), by: .customerAdmin, organisation: Self.organisation())
            == .failure(.partnerAdminOnly))
    }

    @Test("anything is refused while release management is off for the partner")
    func featureOff() {
        let off = Self.organisation(enabled: false)
        #expect(SchedulePermissions.authorise(.setSchedule(cadence: .slow), by: partnerAdmin, organisation: off)
            == .failure(.releaseManagementOff(partnerID: "P1")))
        #expect(SchedulePermissions.authorise(.setSchedule(cadence: .slow), by: .customerAdmin, organisation: off)
            == .failure(.releaseManagementOff(partnerID: "P1")))
        #expect(SchedulePermissions.authorise(.setAllowCustomerOverride(false), by: partnerAdmin, organisation: off)
            == .failure(.releaseManagementOff(partnerID: "P1")))
        let partner = PartnerReleaseSettings(partnerID: "P1", releaseManagementEnabled: false)
        #expect(SchedulePermissions.authorise(.setSchedule(cadence: .latest), by: partnerAdmin, partner: partner)
            == .failure(.releaseManagementOff(partnerID: "P1")))
    }

    @Test("a deferral out of bounds is refused with the error naming the bound (CAD-1)")
    func outOfBounds() {
        let latest5 = SchedulePermissions.authorise(.setSchedule(cadence: .latest, deferralWeeks: 5), by: partnerAdmin, organisation: Self.organisation())
        guard case .failure(let refusal) = latest5, case .deferralOutOfBounds(let error) = refusal else {
            Issue.record("latest 5 accepted: \(latest5)")
            return
        }
        #expect(error.cadence == .latest && error.deferralWeeks == 5)
        #expect(refusal.description.contains("between 0 and 4 weeks"))
        let partner = PartnerReleaseSettings(partnerID: "P1", releaseManagementEnabled: true)
        let slow13 = SchedulePermissions.authorise(.setSchedule(cadence: .slow, deferralWeeks: 13), by: partnerAdmin, partner: partner)
        if case .failure(let refusal) = slow13 { #expect(refusal.description.contains("between 0 and 12 weeks")) } else { Issue.record("slow 13 accepted") }
    }

    @Test("only a managing partner's admins act on an organisation, only its own admins on a partner")
    func otherPartner() {
        let stranger = Requester.partnerAdmin(partnerID: "P9")
        #expect(SchedulePermissions.authorise(.resetSchedule, by: stranger, organisation: Self.organisation())
            == .failure(.notThisPartner(partnerID: "P9")))
        let partner = PartnerReleaseSettings(partnerID: "P1", releaseManagementEnabled: true)
        #expect(SchedulePermissions.authorise(.resetSchedule, by: stranger, partner: partner) == .failure(.notThisPartner(partnerID: "P9")))
        #expect(SchedulePermissions.authorise(.setSchedule(cadence: .slow), by: .customerAdmin, partner: partner) == .failure(.partnerAdminOnly))
    }

    @Test("partner-level toggle: cleared means back to the default, on")
    func partnerToggleDefault() {
        let partner = PartnerReleaseSettings(partnerID: "P1", releaseManagementEnabled: true, allowCustomerOverride: false)
        #expect(SchedulePermissions.authorise(.setAllowCustomerOverride(nil), by: partnerAdmin, partner: partner)
            == .success(.setAllowCustomerOverride(true)))
        #expect(SchedulePermissions.authorise(.setAllowCustomerOverride(nil), by: partnerAdmin, organisation: Self.organisation())
            == .success(.setAllowCustomerOverride(nil)))
    }
}
