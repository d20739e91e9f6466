import RolloutCore

/// SQL conditions several rules and queries share, each written once so a rule's meaning cannot
/// drift between its copies.
package enum SQLCondition {
    /// The platforms release management and the cloud agent serve (CAD-7), from the core's list.
    package static func desktop(_ platform: String) -> String {
        "\(platform) NOT IN (\(mobileList))"
    }

    /// Phones and tablets: never targeted (CAD-7), never upgraded to the cloud agent.
    package static func mobile(_ platform: String) -> String {
        "\(platform) IN (\(mobileList))"
    }

    /// An order counts as open (and pauses its organisation's endpoint upgrades, UPG-4) until a
    /// wake has applied its answer: an answer written at 16:00 takes effect at the 16:00 wake.
    /// `order` is the alias of an `upgrade_order` row.
    package static func openOrder(_ order: String) -> String {
        "(\(order).state = 'ordered' OR (\(order).answered_at IS NOT NULL AND \(order).applied_at IS NULL))"
    }

    /// A schedule or toggle change requested and neither applied, superseded nor cancelled
    /// (OPS-2) yet (CAD-8); it starts with the text of the partial index
    /// `schedule_change_pending`, so the planner uses it.
    package static let pendingChange = "applied_at IS NULL AND superseded_at IS NULL AND cancelled_at IS NULL"

    private static let mobileList = Platform.allCases.filter { !$0.isDesktop }.map { "'\($0.rawValue)'" }.joined(separator: ",")
}
