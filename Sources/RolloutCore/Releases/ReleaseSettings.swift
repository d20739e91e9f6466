public import Foundation

/// A partner-level release schedule and when the partner admin set it (SPEC §1, CAD-3.3).
public struct PartnerSchedule: Hashable, Codable, Sendable {
    public let schedule: Schedule
    public let setAt: Date

    public init(schedule: Schedule, setAt: Date) {
        self.schedule = schedule
        self.setAt = setAt
    }
}

/// An org-level release schedule with its origin and when it was set (SPEC §1, CAD-3.2, CAD-4).
public struct OrganisationSchedule: Hashable, Codable, Sendable {
    public let schedule: Schedule
    public let origin: Actor
    public let setAt: Date

    public init(schedule: Schedule, origin: Actor, setAt: Date) {
        self.schedule = schedule
        self.origin = origin
        self.setAt = setAt
    }
}

/// The release-management settings of one partner managing an organisation (SPEC §1).
public struct PartnerReleaseSettings: Hashable, Codable, Sendable {
    public let partnerID: String
    /// The release-management feature toggle (default off). While it is off, nothing can be set
    /// (CAD-4) and the partner-level schedule is not used (CAD-3.3).
    public let releaseManagementEnabled: Bool
    public let schedule: PartnerSchedule?
    /// The partner-level `allow_customer_override` (default on), used for an organisation that has
    /// no org-level toggle (CAD-4).
    public let allowCustomerOverride: Bool

    public init(
        partnerID: String, releaseManagementEnabled: Bool = false, schedule: PartnerSchedule? = nil,
        allowCustomerOverride: Bool = true
    ) {
        self.partnerID = partnerID
        self.releaseManagementEnabled = releaseManagementEnabled
        self.schedule = schedule
        self.allowCustomerOverride = allowCustomerOverride
    }

    /// The schedule this partner would give an organisation it manages, compared across partners
    /// to detect a conflict (CAD-3.1): its partner-level schedule while release management is on,
    /// otherwise the vendor default (what CAD-3.4 gives an organisation of that partner alone).
    public var scheduleForOrganisations: Schedule {
        releaseManagementEnabled ? schedule?.schedule ?? .vendorDefault : .vendorDefault
    }
}

/// A legacy release setting, a deferral in months, mapped to a schedule (CAD-10).
public enum LegacyDeferral: Hashable, Sendable {
    /// 0, 1 or 3 months, mapped to `automatic`, `latest` 4 weeks or `slow` 12 weeks.
    case mapped(months: Int, Schedule)
    /// Any other number of months: reported invalid and treated as `automatic`.
    case invalid(months: Int)

    public init(months: Int) {
        switch months {
        case 0: self = .mapped(months: 0, .vendorDefault)
        case 1: self = .mapped(months: 1, Schedule(unchecked: .latest, deferralWeeks: 4))
        case 3: self = .mapped(months: 3, Schedule(unchecked: .slow, deferralWeeks: 12))
        default: self = .invalid(months: months)
        }
    }

    /// The schedule used for decisions and written by the migration (CAD-10).
    public var schedule: Schedule {
        switch self {
        case .mapped(_, let schedule): schedule
        case .invalid: .vendorDefault
        }
    }
}

/// Everything CAD-3 reads about one organisation: its managing partners and its own settings.
public struct OrganisationReleaseFacts: Hashable, Sendable {
    /// The partners managing the organisation (one or more, SPEC §1).
    public let partners: [PartnerReleaseSettings]
    public let schedule: OrganisationSchedule?
    /// The org-level `allow_customer_override`; nil defers to the partner-level toggle (CAD-4).
    public let allowCustomerOverride: Bool?
    /// Legacy release settings not yet migrated (CAD-10). Ignored once an org-level schedule exists.
    public let legacyDeferralMonths: Int?

    public init(
        partners: [PartnerReleaseSettings], schedule: OrganisationSchedule? = nil,
        allowCustomerOverride: Bool? = nil, legacyDeferralMonths: Int? = nil
    ) {
        self.partners = partners
        self.schedule = schedule
        self.allowCustomerOverride = allowCustomerOverride
        self.legacyDeferralMonths = legacyDeferralMonths
    }

    /// Whether customer override is allowed for this organisation (CAD-4), with the setting that
    /// decided it: the org-level toggle if set, else the partner-level toggle. With several
    /// managing partners it is allowed only if every one of them allows it, so no partner's
    /// refusal is overridden by another partner's permission.
    public var customerOverride: CustomerOverride {
        if let allowed = allowCustomerOverride { return CustomerOverride(allowed: allowed, decidedBy: .organisation) }
        if let refusing = partners.sorted(by: { $0.partnerID < $1.partnerID }).first(where: { !$0.allowCustomerOverride }) {
            return CustomerOverride(allowed: false, decidedBy: .partner(refusing.partnerID))
        }
        return CustomerOverride(allowed: true, decidedBy: partners.count == 1 ? .partner(partners[0].partnerID) : .partners)
    }

    /// The partners for which release management is off, in id order (CAD-4).
    var partnersWithReleaseManagementOff: [PartnerReleaseSettings] {
        partners.filter { !$0.releaseManagementEnabled }.sorted { $0.partnerID < $1.partnerID }
    }
}

/// Whether an organisation's admins may override the partner's schedule, and which toggle said so (CAD-4).
public struct CustomerOverride: Hashable, Codable, Sendable {
    public enum Source: Hashable, Codable, Sendable, CustomStringConvertible {
        /// The org-level toggle.
        case organisation
        /// The partner-level toggle of this partner.
        case partner(String)
        /// The partner-level toggles of all managing partners, all on (or no partner at all:
        /// the toggle's default is on).
        case partners

        public var description: String {
            switch self {
            case .organisation: "the org-level allow_customer_override"
            case .partner(let id): "the partner-level allow_customer_override of partner \(id)"
            case .partners: "the partner-level allow_customer_override of every managing partner"
            }
        }
    }

    public let allowed: Bool
    public let decidedBy: Source
}
