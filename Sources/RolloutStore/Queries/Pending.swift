package import GRDB

/// Work the store holds that a future wake will act on, for STATUS= and `rolloutctl status`.
public struct PendingCounts: Codable, Equatable, Sendable {
    /// Schedule and override changes requested but not yet applied (CAD-8).
    public var changes: Int
    /// Distributor orders with no answer yet (UPG-4).
    public var openOrders: Int
    /// Endpoints with an automatic-upgrade time set and not yet reached (UPG-5).
    public var scheduledEndpointUpgrades: Int
    /// Pauses not yet resumed (OPS-1), automatic ones (OPS-3) included.
    public var pauses: Int

    enum CodingKeys: String, CodingKey {
        case changes, pauses
        case openOrders = "open_orders"
        case scheduledEndpointUpgrades = "scheduled_endpoint_upgrades"
    }
}

extension Store {
    /// Counts through partial indexes, so they cost what is pending, not the fleet's size.
    public func pendingCounts() throws -> PendingCounts {
        try read(Self.pendingCounts)
    }

    package static func pendingCounts(_ db: Database) throws -> PendingCounts {
        PendingCounts(
            changes: try Int.fetchOne(db, sql: "SELECT count(*) FROM schedule_change WHERE \(SQLCondition.pendingChange)") ?? 0,
            openOrders: try Int.fetchOne(db, sql: "SELECT count(*) FROM upgrade_order WHERE state = 'ordered'") ?? 0,
            scheduledEndpointUpgrades: try Int.fetchOne(db, sql: "SELECT count(*) FROM endpoint WHERE upgrade_at IS NOT NULL") ?? 0,
            pauses: try Int.fetchOne(db, sql: "SELECT count(*) FROM pause WHERE resumed_at IS NULL") ?? 0)
    }
}
