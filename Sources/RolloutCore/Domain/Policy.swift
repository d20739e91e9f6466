/// The numbers the SPEC gives as defaults, gathered so the configuration can change them and
/// every rule reads them from one place. The cadences' deferral bounds are not here: they are
/// the vendor's (CAD-1, `Cadence.deferralWeeks`), and a looser bound would accept schedules the
/// vendor's agents cannot follow.
public struct Policy: Sendable, Equatable, Codable {
    /// A cadence or toggle change is applied at the latest this long after it was requested (CAD-8).
    public var changeWindowHours: Int = 24
    /// Endpoints are upgraded this many days after the order is processed, unless the partner says otherwise (UPG-5).
    public var endpointUpgradeDelayDays: Int = 30
    /// How long an end user may defer an endpoint upgrade, unless the partner says otherwise (UPG-6).
    public var endUserDeferralDays: Int = 7
    /// The most a partner may allow end users to defer (UPG-6, SPEC §1).
    public var maxEndUserDeferralDays: Int = 30
    /// A distributor answer not received within this long is chased (UPG-4).
    public var orderAnswerTimeoutHours: Int = 24
    /// Readiness: every endpoint has checked in within this many days (UPG-3).
    public var readinessCheckInDays: Int = 30

    public init() {}
}
