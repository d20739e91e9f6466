public import Foundation

/// One link of the chain of reasons behind an effective schedule (CAD-3): the rule, what was
/// found, the setting it concerns, who set it and when. `text` is the sentence an operator reads;
/// the other fields are what `--json` output and filters use.
public struct ScheduleReason: Hashable, Codable, Sendable, CustomStringConvertible {
    /// What the rule found.
    public enum Finding: String, Hashable, Codable, Sendable {
        /// CAD-3.1: two or more managing partners give the organisation different schedules.
        case conflict
        /// CAD-3.1 does not apply: the managing partners give the organisation the same schedule.
        case partnersAgree = "partners_agree"
        /// CAD-10: a legacy deferral in months mapped to a schedule.
        case legacyMapped = "legacy_mapped"
        /// CAD-10: a legacy deferral in months that maps to nothing, treated as `automatic`.
        case legacyInvalid = "legacy_invalid"
        /// CAD-3.2: the org-level schedule is in force.
        case organisationSchedule = "organisation_schedule"
        /// CAD-4: a customer-set org-level schedule is not in force, customer override being off.
        case organisationScheduleNotInForce = "organisation_schedule_not_in_force"
        /// CAD-5: the organisation does not inherit partner-level settings while its own is in force.
        case detachedFromPartner = "detached_from_partner"
        /// CAD-3.3: the managing partner's partner-level schedule.
        case partnerSchedule = "partner_schedule"
        /// CAD-3.4: release management is off for the partner.
        case releaseManagementOff = "release_management_off"
        /// CAD-3.4: the partner has release management on but no partner-level schedule.
        case noPartnerSchedule = "no_partner_schedule"
        /// CAD-3.4: nothing else applies; the vendor default.
        case vendorDefault = "vendor_default"
    }

    /// The setting a reason is about.
    public enum Setting: String, Hashable, Codable, Sendable {
        case organisationSchedule = "organisation_schedule"
        case partnerSchedule = "partner_schedule"
        case releaseManagement = "release_management"
        case legacyDeferral = "legacy_deferral"
        case vendorDefault = "vendor_default"
    }

    /// The rule id, e.g. `CAD-3.1`, `CAD-4`, `CAD-10`.
    public let rule: String
    public let finding: Finding
    public let setting: Setting
    /// The schedule the setting gives, when it gives one.
    public let schedule: Schedule?
    /// Who set the setting, when known.
    public let setBy: Actor?
    /// The partner the setting belongs to, for partner-level settings and partner-set ones.
    public let partnerID: String?
    /// When the setting was set, when known.
    public let setAt: Date?
    public let text: String

    enum CodingKeys: String, CodingKey {
        case rule, finding, setting, schedule, text
        case setBy = "set_by"
        case partnerID = "partner_id"
        case setAt = "set_at"
    }

    public var description: String { "\(rule): \(text)" }
}

/// The schedule an organisation's endpoints follow, and why (CAD-3).
public struct EffectiveSchedule: Hashable, Codable, Sendable {
    public let schedule: Schedule
    /// The chain of reasons, in the order the rules were tried: the deciding rule's reason comes
    /// last, followed only by the CAD-5 note when an org-level schedule decided.
    public let reasons: [ScheduleReason]

    /// Applies CAD-3, first rule that applies:
    /// 1. two or more managing partners whose schedules for the organisation differ
    ///    (``PartnerReleaseSettings/scheduleForOrganisations``) → `automatic`, reason `conflict`;
    /// 2. an org-level schedule in force (CAD-4: partner-set always, customer-set while customer
    ///    override is allowed) → that one, detached from partner-level settings (CAD-5);
    /// 3. a managing partner with release management on and a partner-level schedule → that one;
    /// 4. otherwise → `automatic`.
    ///
    /// Legacy settings (CAD-10): an organisation with no org-level schedule but a legacy deferral
    /// in months gets the mapped schedule as an org-level schedule set by the customer — the
    /// legacy setting was the organisation's own — so it is in force only while customer
    /// override is allowed. An org-level schedule set since then replaces it.
    ///
    /// Rule 2 does not look at the release-management toggle: CAD-4 stops anything being set
    /// while it is off, but a schedule already set stays in force as SPEC's rule 2 reads.
    public static func resolve(_ facts: OrganisationReleaseFacts) -> EffectiveSchedule {
        var reasons: [ScheduleReason] = []
        let partners = facts.partners.sorted { $0.partnerID < $1.partnerID }

        if partners.count >= 2 {
            let agreed = Set(partners.map(\.scheduleForOrganisations)).count == 1
            for partner in partners {
                reasons.append(partnerGives(partner, agreed: agreed))
            }
            if !agreed { return EffectiveSchedule(schedule: .vendorDefault, reasons: reasons) }
        }

        if let organisationLevel = organisationLevelSchedule(facts, reasons: &reasons) {
            let override = facts.customerOverride
            if organisationLevel.origin == .partner || override.allowed {
                reasons.append(organisationLevel.reason(
                    rule: "CAD-3.2", finding: .organisationSchedule, "org-level schedule \(organisationLevel.schedule) is in force"
                        + (organisationLevel.origin == .customer ? " (customer override allowed by \(override.decidedBy))" : "")))
                reasons.append(detached(from: partners))
                return EffectiveSchedule(schedule: organisationLevel.schedule, reasons: reasons)
            }
            reasons.append(organisationLevel.reason(
                rule: "CAD-4", finding: .organisationScheduleNotInForce,
                "customer-set org-level schedule \(organisationLevel.schedule) is not in force: customer override is "
                    + "off by \(override.decidedBy)"))
        }

        if let (partner, partnerSchedule) = partnerLevelSchedule(of: partners) {
            reasons.append(ScheduleReason(
                rule: "CAD-3.3", finding: .partnerSchedule, setting: .partnerSchedule, schedule: partnerSchedule.schedule,
                setBy: .partner, partnerID: partner.partnerID, setAt: partnerSchedule.setAt,
                text: "partner-level schedule \(partnerSchedule.schedule) of partner \(partner.partnerID), "
                    + "set \(Instant.format(partnerSchedule.setAt))"))
            return EffectiveSchedule(schedule: partnerSchedule.schedule, reasons: reasons)
        }

        for partner in partners {
            reasons.append(partner.releaseManagementEnabled
                ? ScheduleReason(
                    rule: "CAD-3.4", finding: .noPartnerSchedule, setting: .partnerSchedule, schedule: nil, setBy: nil,
                    partnerID: partner.partnerID, setAt: nil,
                    text: "partner \(partner.partnerID) has release management on but no partner-level schedule")
                : ScheduleReason(
                    rule: "CAD-3.4", finding: .releaseManagementOff, setting: .releaseManagement, schedule: nil, setBy: nil,
                    partnerID: partner.partnerID, setAt: nil,
                    text: "release management is off for partner \(partner.partnerID)"))
        }
        reasons.append(ScheduleReason(
            rule: "CAD-3.4", finding: .vendorDefault, setting: .vendorDefault, schedule: .vendorDefault, setBy: nil,
            partnerID: nil, setAt: nil, text: "vendor default \(Schedule.vendorDefault)"))
        return EffectiveSchedule(schedule: .vendorDefault, reasons: reasons)
    }

    /// What one of several managing partners gives the organisation (CAD-3.1).
    private static func partnerGives(_ partner: PartnerReleaseSettings, agreed: Bool) -> ScheduleReason {
        let given = partner.scheduleForOrganisations
        let source = switch (partner.releaseManagementEnabled, partner.schedule) {
        case (true, let set?): "its partner-level schedule, set \(Instant.format(set.setAt))"
        case (true, nil): "the vendor default: no partner-level schedule"
        case (false, _): "the vendor default: release management is off"
        }
        let verdict = agreed ? "managing partners agree" : "managing partners differ, so the vendor default applies"
        let used = partner.releaseManagementEnabled ? partner.schedule : nil
        return ScheduleReason(
            rule: "CAD-3.1", finding: agreed ? .partnersAgree : .conflict,
            setting: partner.releaseManagementEnabled ? .partnerSchedule : .releaseManagement, schedule: given,
            setBy: used == nil ? nil : .partner, partnerID: partner.partnerID, setAt: used?.setAt,
            text: "partner \(partner.partnerID) gives \(given) (\(source)); \(verdict)")
    }

    /// The partner-level schedule CAD-3.3 uses: the first managing partner (by id) with release
    /// management on and a partner-level schedule. Partners that reach this rule agree (CAD-3.1),
    /// so which one is cited does not change the schedule.
    private static func partnerLevelSchedule(of partners: [PartnerReleaseSettings]) -> (PartnerReleaseSettings, PartnerSchedule)? {
        for partner in partners where partner.releaseManagementEnabled {
            if let set = partner.schedule { return (partner, set) }
        }
        return nil
    }

    /// The CAD-5 link: the organisation no longer follows partner-level settings.
    private static func detached(from partners: [PartnerReleaseSettings]) -> ScheduleReason {
        let inherited = partnerLevelSchedule(of: partners)
        let text = if let (partner, set) = inherited {
            "partner-level schedule \(set.schedule) of partner \(partner.partnerID) is not inherited; "
                + "removing the org-level schedule re-attaches the organisation"
        } else {
            "partner-level changes are not inherited; removing the org-level schedule re-attaches the organisation"
        }
        return ScheduleReason(
            rule: "CAD-5", finding: .detachedFromPartner, setting: .partnerSchedule, schedule: inherited?.1.schedule,
            setBy: inherited == nil ? nil : .partner, partnerID: inherited?.0.partnerID ?? partners.first?.partnerID,
            setAt: inherited?.1.setAt, text: text)
    }

    /// The organisation's own schedule: the org-level one, else the one its legacy settings map
    /// to (CAD-10), whose reason is appended here.
    private static func organisationLevelSchedule(
        _ facts: OrganisationReleaseFacts, reasons: inout [ScheduleReason]
    ) -> OrganisationLevel? {
        if let set = facts.schedule {
            return OrganisationLevel(schedule: set.schedule, origin: set.origin, setAt: set.setAt, setting: .organisationSchedule)
        }
        guard let months = facts.legacyDeferralMonths else { return nil }
        let legacy = LegacyDeferral(months: months)
        let level = OrganisationLevel(schedule: legacy.schedule, origin: .customer, setAt: nil, setting: .legacyDeferral)
        switch legacy {
        case .mapped(let months, let schedule):
            reasons.append(level.reason(
                rule: "CAD-10", finding: .legacyMapped,
                "legacy deferral of \(months) month(s) maps to \(schedule), an org-level schedule set by the customer"))
        case .invalid(let months):
            reasons.append(level.reason(
                rule: "CAD-10", finding: .legacyInvalid,
                "legacy deferral of \(months) month(s) is invalid (0, 1 or 3 expected) and is treated as \(legacy.schedule)"))
        }
        return level
    }

    /// An org-level schedule, set in the console or mapped from legacy settings.
    private struct OrganisationLevel {
        let schedule: Schedule
        let origin: Actor
        let setAt: Date?
        let setting: ScheduleReason.Setting

        func reason(rule: String, finding: ScheduleReason.Finding, _ text: String) -> ScheduleReason {
            let when = setAt.map { ", set by the \(origin.rawValue) \(Instant.format($0))" } ?? ""
            return ScheduleReason(
                rule: rule, finding: finding, setting: setting, schedule: schedule, setBy: origin, partnerID: nil,
                setAt: setAt, text: text + when)
        }
    }
}
