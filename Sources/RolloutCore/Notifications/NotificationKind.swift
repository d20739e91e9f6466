/// Who reads a notification (SPEC §1).
public enum NotificationAudience: String, CaseIterable, Codable, Sendable {
    case partnerAdmins = "partner_admins"
    case customerAdmins = "customer_admins"
    /// The end user of one endpoint, shown by its agent.
    case endUser = "end_user"
}

/// A named value in a notification template, written `{name}` (NOT-2).
public enum NotificationPlaceholder: String, CaseIterable, Sendable {
    /// The partner's display name.
    case partner
    /// The organisation's display name.
    case organisation
    /// The endpoint's display name.
    case endpoint
    /// What a schedule applies to: an organisation's name, or a partner's for a partner-level schedule.
    case scope
    /// An app version (`45.2.0`).
    case version
    /// A schedule as the CLI prints it (`latest +4w`).
    case schedule
    /// The distributor order id.
    case order
    /// The instant the notification is about, from `NotificationDates.format`.
    case date
    /// A deadline (deferral deadline D, order answer due, automatic upgrade), same format.
    case deadline
    /// Failing readiness items, from `Readiness.failingItemsText`.
    case items
    /// A failure reason as reported.
    case reason
    /// What a pause covers: release management or the upgrade programme (OPS-1).
    case what

    /// The token as it appears in templates: `{name}`.
    public var token: String { "{\(rawValue)}" }
}

/// Every notification the daemon writes to the outbox (NOT-1, NOT-2). The raw value is the
/// kind's spelling in the database, the idempotency key and the CLI.
///
/// Where the SPEC tells two audiences about one event in different words (UPG-2's announcement to
/// the partner and to its legacy customers' admins), there is one kind per audience. A kind read
/// by several audiences in the same words lists them all; the store then writes one row per
/// audience, each with its own subject (`organisation:o-1`, `organisation:o-1:partner:p-1`), so
/// their idempotency keys differ.
public enum NotificationKind: String, CaseIterable, Codable, Sendable {
    /// A coalesced schedule or override change took effect (CAD-8).
    case scheduleChangeApplied = "schedule_change_applied"
    /// A newer app version becomes an organisation's target (CAD-2).
    case updateAvailable = "update_available"
    /// Programme announced, to the partner (UPG-2).
    case programmeAnnounced = "programme_announced"
    /// Programme announced, to each legacy customer's admins (UPG-2).
    case customerProgrammeAnnounced = "customer_programme_announced"
    /// The upgrade window opened (UPG-3).
    case windowOpen = "window_open"
    /// An upgrade order was sent to the distributor (UPG-4, UPG-7).
    case orderPlaced = "order_placed"
    /// No distributor answer within the timeout: contact the distributor (UPG-4).
    case orderUnanswered = "order_unanswered"
    /// The distributor processed the order: the organisation is on the cloud generation (UPG-5).
    case orderProcessed = "order_processed"
    /// The distributor could not process the order (UPG-4).
    case orderFailed = "order_failed"
    /// Not ready at the automatic upgrade: held, with the failing items (UPG-7).
    case upgradeHeld = "upgrade_held"
    /// Endpoint upgrade available, deferrable until D (UPG-6).
    case endpointUpgradeAvailable = "endpoint_upgrade_available"
    /// Reminder to a deferring end user (UPG-6).
    case endpointUpgradeReminder = "endpoint_upgrade_reminder"
    /// The upgrade is installing (UPG-6).
    case endpointInstalling = "endpoint_installing"
    /// Installed; the device must restart to complete (UPG-6).
    case endpointRestartRequired = "endpoint_restart_required"
    /// The device restarted on the new agent: success (UPG-6).
    case endpointUpgraded = "endpoint_upgraded"
    /// The device reported a failure: the partner is told (UPG-6).
    case endpointUpgradeFailed = "endpoint_upgrade_failed"
    /// First cloud bill on the partner's next billing day (UPG-5).
    case firstCloudBillDue = "first_cloud_bill_due"
    /// Monthly legacy declaration due on a billing day (UPG-9).
    case monthlyLegacyDeclaration = "monthly_legacy_declaration"
    /// Final legacy declaration after the last legacy customer's upgrade (UPG-9).
    case finalLegacyDeclaration = "final_legacy_declaration"
    /// An operator or partner admin paused release management or the programme (OPS-1).
    case rolloutPaused = "rollout_paused"
    /// A pause ended: what fell due is decided at the next wake (OPS-1).
    case rolloutResumed = "rollout_resumed"
    /// The programme paused itself: too many endpoint upgrades failed (OPS-3).
    case programmeAutoPaused = "programme_auto_paused"

    /// Who reads this kind: one audience, except a schedule change of an organisation, which its
    /// admins and each managing partner's admins are told about (CAD-8).
    public var audiences: [NotificationAudience] {
        switch self {
        case .scheduleChangeApplied:
            [.customerAdmins, .partnerAdmins]
        case .updateAvailable, .customerProgrammeAnnounced:
            [.customerAdmins]
        case .programmeAnnounced, .windowOpen, .orderPlaced, .orderUnanswered, .orderProcessed, .orderFailed,
             .upgradeHeld, .endpointUpgradeFailed, .firstCloudBillDue, .monthlyLegacyDeclaration, .finalLegacyDeclaration,
             .rolloutPaused, .rolloutResumed, .programmeAutoPaused:
            [.partnerAdmins]
        case .endpointUpgradeAvailable, .endpointUpgradeReminder, .endpointInstalling, .endpointRestartRequired, .endpointUpgraded:
            [.endUser]
        }
    }

    /// The placeholders this kind's templates use, in both languages: the values to give `render`
    /// (or to the SQL that fills a fleet's notifications) so that no `{` token is left.
    public var placeholders: [NotificationPlaceholder] {
        switch self {
        case .scheduleChangeApplied: [.scope, .schedule, .date]
        case .updateAvailable: [.organisation, .version, .date]
        case .programmeAnnounced: [.partner, .date, .deadline]
        case .customerProgrammeAnnounced: [.partner, .organisation, .date]
        case .windowOpen: [.partner, .deadline]
        case .orderPlaced: [.organisation, .order, .deadline]
        case .orderUnanswered: [.organisation, .order, .date]
        case .orderProcessed: [.organisation, .order]
        case .orderFailed: [.organisation, .order, .reason]
        case .upgradeHeld: [.organisation, .items]
        case .endpointUpgradeAvailable, .endpointUpgradeReminder: [.endpoint, .deadline]
        case .endpointInstalling, .endpointRestartRequired, .endpointUpgraded: [.endpoint]
        case .endpointUpgradeFailed: [.organisation, .endpoint, .reason]
        case .firstCloudBillDue: [.organisation, .date]
        case .monthlyLegacyDeclaration: [.partner, .date]
        case .finalLegacyDeclaration: [.partner]
        case .rolloutPaused: [.what, .scope, .reason, .date]
        case .rolloutResumed: [.what, .scope, .date]
        case .programmeAutoPaused: [.partner, .items, .date]
        }
    }
}
