/// Who asks for a release-management change (CAD-4).
public enum Requester: Hashable, Codable, Sendable {
    case partnerAdmin(partnerID: String)
    case customerAdmin

    public var actor: Actor {
        switch self {
        case .partnerAdmin: .partner
        case .customerAdmin: .customer
        }
    }
}

/// A change as asked for in a console, before it is checked (CAD-1, CAD-4).
public enum ScheduleEditRequest: Hashable, Sendable {
    /// Set the schedule of the scope; without a deferral, the cadence's default (CAD-1).
    case setSchedule(cadence: Cadence, deferralWeeks: Int? = nil)
    /// Remove the scope's schedule: an organisation re-attaches to its partner (CAD-5).
    case resetSchedule
    /// Set `allow_customer_override`. At organisation level nil removes the org-level toggle so the
    /// partner-level one applies; at partner level nil restores the default, on (SPEC §1).
    case setAllowCustomerOverride(Bool?)
}

/// A change that passed the checks, ready to be recorded and timed (CAD-8).
public enum ScheduleEdit: Hashable, Codable, Sendable {
    case setSchedule(Schedule)
    case resetSchedule
    case setAllowCustomerOverride(Bool?)

    /// The setting the edit changes; changes to the same setting of a subject coalesce (CAD-8).
    public var setting: ChangedSetting {
        switch self {
        case .setSchedule, .resetSchedule: .schedule
        case .setAllowCustomerOverride: .allowCustomerOverride
        }
    }
}

/// Why a release-management change is refused (CAD-1, CAD-4). Nothing is written.
public enum ScheduleRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// Release management is off for this partner: nothing can be set (CAD-4).
    case releaseManagementOff(partnerID: String)
    /// A customer admin asked while customer override is not allowed for the organisation (CAD-4).
    case customerOverrideNotAllowed(CustomerOverride.Source)
    /// Partner-level settings and override toggles are set by partner admins only (CAD-4).
    case partnerAdminOnly
    /// The partner admin's partner does not manage this organisation, or is another partner.
    case notThisPartner(partnerID: String)
    /// The deferral is outside its cadence's bounds (CAD-1); the error names the bound.
    case deferralOutOfBounds(ScheduleError)

    public var description: String {
        switch self {
        case .releaseManagementOff(let partnerID):
            "release management is off for partner \(partnerID): nothing can be set (CAD-4)"
        case .customerOverrideNotAllowed(let source):
            "customer override is not allowed for this organisation by \(source) (CAD-4)"
        case .partnerAdminOnly:
            "only a partner admin may change this setting (CAD-4)"
        case .notThisPartner(let partnerID):
            "partner \(partnerID) does not manage this setting (CAD-4)"
        case .deferralOutOfBounds(let error):
            error.description
        }
    }
}

/// Who may change which release-management setting (CAD-4).
public enum SchedulePermissions {
    /// Checks a change to an organisation's own settings.
    /// - A partner admin of a managing partner with release management on may set or reset the
    ///   org-level schedule and the org-level override toggle.
    /// - A customer admin may set or reset the org-level schedule only while customer override is
    ///   allowed for the organisation, and only while every managing partner has release
    ///   management on (a customer cannot reach settings a partner has not enabled). The override
    ///   toggle is a partner decision: a customer admin never sets it.
    /// - A schedule whose deferral is out of bounds is refused with the `Schedule` error (CAD-1).
    public static func authorise(
        _ request: ScheduleEditRequest, by requester: Requester, organisation: OrganisationReleaseFacts
    ) -> Result<ScheduleEdit, ScheduleRefusal> {
        switch requester {
        case .partnerAdmin(let partnerID):
            guard let partner = organisation.partners.first(where: { $0.partnerID == partnerID }) else {
                return .failure(.notThisPartner(partnerID: partnerID))
            }
            guard partner.releaseManagementEnabled else { return .failure(.releaseManagementOff(partnerID: partnerID)) }
        case .customerAdmin:
            if let off = organisation.partnersWithReleaseManagementOff.first {
                return .failure(.releaseManagementOff(partnerID: off.partnerID))
            }
            if case .setAllowCustomerOverride = request { return .failure(.partnerAdminOnly) }
            let override = organisation.customerOverride
            guard override.allowed else { return .failure(.customerOverrideNotAllowed(override.decidedBy)) }
        }
        return checked(request, defaultToggle: nil)
    }

    /// Checks a change to a partner's partner-level settings: only that partner's admins, and only
    /// while release management is on for it (CAD-4).
    public static func authorise(
        _ request: ScheduleEditRequest, by requester: Requester, partner: PartnerReleaseSettings
    ) -> Result<ScheduleEdit, ScheduleRefusal> {
        guard case .partnerAdmin(let partnerID) = requester else { return .failure(.partnerAdminOnly) }
        guard partnerID == partner.partnerID else { return .failure(.notThisPartner(partnerID: partnerID)) }
        guard partner.releaseManagementEnabled else { return .failure(.releaseManagementOff(partnerID: partnerID)) }
        return checked(request, defaultToggle: true)
    }

    /// The edit with its schedule bound-checked (CAD-1) and an absent toggle replaced by the
    /// scope's default, if it has one.
    private static func checked(_ request: ScheduleEditRequest, defaultToggle: Bool?) -> Result<ScheduleEdit, ScheduleRefusal> {
        switch request {
        case .setSchedule(let cadence, let deferralWeeks):
            do {
                return .success(.setSchedule(try Schedule(cadence: cadence, deferralWeeks: deferralWeeks)))
            } catch {
                return .failure(.deferralOutOfBounds(error))
            }
        case .resetSchedule:
            return .success(.resetSchedule)
        case .setAllowCustomerOverride(let allowed):
            return .success(.setAllowCustomerOverride(allowed ?? defaultToggle))
        }
    }
}
