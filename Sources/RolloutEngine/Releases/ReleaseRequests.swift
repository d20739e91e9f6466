public import Foundation
import GRDB
public import RolloutCore
public import RolloutStore

/// A schedule or toggle change the rules accepted and stored for the daemon to apply (CAD-8).
public struct ScheduleChangeReceipt: Codable, Equatable, Sendable {
    public let id: Int64
    /// `organisation:o-1` or `partner:p-1`.
    public let subject: String
    public let change: String
    public let requestedBy: String
    public let requestedAt: Date
    /// When a wake applies it: the earlier of the next boundary and 24 hours, or at once for a
    /// change of deferral weeks alone.
    public let applyBy: Date

    enum CodingKeys: String, CodingKey {
        case id, subject, change
        case requestedBy = "requested_by"
        case requestedAt = "requested_at"
        case applyBy = "apply_by"
    }
}

extension Store {
    /// Checks a schedule or toggle edit against CAD-1 and CAD-4 as the given actor and stores
    /// it for the daemon. A refused edit writes nothing and throws `StoreError.refused` with the
    /// reason.
    public func requestScheduleChange(partner: String, organisation: String?, request: ScheduleEditRequest,
                                      actor: Actor, at requestedAt: Date, context: RuleContext) throws -> ScheduleChangeReceipt {
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM partner WHERE id = ?)", arguments: [partner]) == true else {
                throw StoreError(code: .notFound, message: "unknown partner '\(partner)'")
            }
            let requester: Requester = actor == .partner ? .partnerAdmin(partnerID: partner) : .customerAdmin
            let edit: ScheduleEdit
            let from: Schedule, to: Schedule
            if let organisation {
                guard let facts = try ReleaseFacts.organisations(db, ids: [organisation])[organisation] else {
                    throw StoreError(code: .notFound, message: "unknown organisation '\(organisation)'")
                }
                guard facts.partners.contains(where: { $0.partnerID == partner }) else {
                    throw StoreError(code: .refused, message: "partner '\(partner)' does not manage organisation '\(organisation)' (CAD-4)")
                }
                edit = try Self.authorised(SchedulePermissions.authorise(request, by: requester, organisation: facts))
                from = EffectiveSchedule.resolve(facts).schedule
                to = EffectiveSchedule.resolve(facts.applying(edit, by: actor, at: requestedAt)).schedule
            } else {
                guard actor == .partner else {
                    throw StoreError(code: .refused, message: "a partner-level setting can only be changed by a partner admin (CAD-4); give --org for an organisation")
                }
                guard let settings = try ReleaseFacts.partners(db)[partner] else {
                    throw StoreError(code: .notFound, message: "unknown partner '\(partner)'")
                }
                edit = try Self.authorised(SchedulePermissions.authorise(request, by: requester, partner: settings))
                from = settings.scheduleForOrganisations
                to = settings.applying(edit, at: requestedAt).scheduleForOrganisations
            }
            let windowHours = context.policy.changeWindowHours
            let applyBy: Date = switch edit {
            case .setSchedule, .resetSchedule:
                ChangeTiming.applyBy(from: from, to: to, requestedAt: requestedAt, calendar: context.calendar, windowHours: windowHours)
            case .setAllowCustomerOverride:
                ChangeTiming.applyBy(requestedAt: requestedAt, calendar: context.calendar, windowHours: windowHours)
            }
            let id = try ScheduleChanges.insert(db, partner: partner, organisation: organisation, actor: actor, edit: edit,
                                                requestedAt: requestedAt, applyBy: applyBy)
            return ScheduleChangeReceipt(
                id: id, subject: organisation.map { "organisation:\($0)" } ?? "partner:\(partner)", change: edit.summary,
                requestedBy: actor.rawValue, requestedAt: requestedAt, applyBy: applyBy)
        }
    }

    private static func authorised(_ result: Result<ScheduleEdit, ScheduleRefusal>) throws -> ScheduleEdit {
        switch result {
        case .success(let edit): return edit
        case .failure(let refusal): throw StoreError(code: .refused, message: "refused: \(refusal)")
        }
    }

    /// Sets a user's automatic-upgrades switch (CAD-6). It is not a cadence or toggle change,
    /// so CAD-8's timing does not apply: targets follow at the next wake, at once.
    public func setAutomaticUpgrades(user: String, to value: AutomaticUpgrades, at instant: Date) throws {
        try write { db in
            try db.execute(sql: "UPDATE user SET automatic_upgrades = ? WHERE id = ?", arguments: [value.rawValue, user])
            guard db.changesCount == 1 else { throw StoreError(code: .notFound, message: "unknown user '\(user)'") }
            try RetargetRequest.add(db, scope: "user:\(user)", at: instant)
        }
    }

    /// Records the version an endpoint reports it runs; its target follows at the next wake.
    public func reportInstalledVersion(endpoint: String, version: Version, at instant: Date) throws {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT installed_version, organisation_id FROM endpoint WHERE id = ?", arguments: [endpoint]) else {
                throw StoreError(code: .notFound, message: "unknown endpoint '\(endpoint)'")
            }
            try Self.recordInstalledVersion(db, endpoint: endpoint, organisation: row["organisation_id"], before: row["installed_version"],
                                            version: version, at: instant)
        }
    }

    /// The write of a reported installed version, shared by the CLI's report and the API's
    /// check-ins: the version, an `installed_reported` decision in the audit trail, and a
    /// retarget request.
    static func recordInstalledVersion(_ db: Database, endpoint: String, organisation: String, before: String, version: Version,
                                       at instant: Date) throws {
        try db.execute(sql: """
            UPDATE endpoint SET installed_version = ?, installed_version_key = ?, installed_reported_at = ?, last_check_in = ?
            WHERE id = ?
            """, arguments: [version.description, version.sortKey, Instant.seconds(instant), Instant.seconds(instant), endpoint])
        try DecisionLog.record(db, Decision(
            at: instant, kind: .installedReported, subjectKind: "endpoint", subjectID: endpoint, organisation: organisation,
            before: "installed \(before)", after: "installed \(version)",
            beforeValue: DecisionValue(version: before), afterValue: DecisionValue(version: version.description)))
        try RetargetRequest.add(db, scope: "endpoint:\(endpoint)", at: instant)
    }
}

extension OrganisationReleaseFacts {
    /// These facts as they would be once `edit` is applied: what a reset re-attaches to, and
    /// whether a change is of deferral weeks alone (CAD-8).
    func applying(_ edit: ScheduleEdit, by actor: Actor, at instant: Date) -> OrganisationReleaseFacts {
        switch edit {
        case .setSchedule(let schedule):
            OrganisationReleaseFacts(partners: partners, schedule: OrganisationSchedule(schedule: schedule, origin: actor, setAt: instant),
                                     allowCustomerOverride: allowCustomerOverride, legacyDeferralMonths: legacyDeferralMonths)
        case .resetSchedule:
            OrganisationReleaseFacts(partners: partners, schedule: nil, allowCustomerOverride: allowCustomerOverride, legacyDeferralMonths: nil)
        case .setAllowCustomerOverride(let allowed):
            OrganisationReleaseFacts(partners: partners, schedule: schedule, allowCustomerOverride: allowed, legacyDeferralMonths: legacyDeferralMonths)
        }
    }
}

extension PartnerReleaseSettings {
    func applying(_ edit: ScheduleEdit, at instant: Date) -> PartnerReleaseSettings {
        switch edit {
        case .setSchedule(let schedule):
            PartnerReleaseSettings(partnerID: partnerID, releaseManagementEnabled: releaseManagementEnabled,
                                   schedule: PartnerSchedule(schedule: schedule, setAt: instant), allowCustomerOverride: allowCustomerOverride)
        case .resetSchedule:
            PartnerReleaseSettings(partnerID: partnerID, releaseManagementEnabled: releaseManagementEnabled, schedule: nil,
                                   allowCustomerOverride: allowCustomerOverride)
        case .setAllowCustomerOverride(let allowed):
            PartnerReleaseSettings(partnerID: partnerID, releaseManagementEnabled: releaseManagementEnabled, schedule: schedule,
                                   allowCustomerOverride: allowed ?? true)
        }
    }
}
