public import GRDB
public import RolloutCore

// The core's domain enums are stored as their raw text (the schema's CHECK constraints list the
// same values). As GRDB values, rows decode them with `try row.decode(_:forColumn:)`, which
// throws an error naming the column and the row's values for text that is none of them, instead
// of a silent default.
extension Platform: DatabaseValueConvertible {}
extension Generation: DatabaseValueConvertible {}
extension AutomaticUpgrades: DatabaseValueConvertible {}
extension Actor: DatabaseValueConvertible {}
extension UpgradePolicy: DatabaseValueConvertible {}
extension Language: DatabaseValueConvertible {}
extension EndpointUpgradeState: DatabaseValueConvertible {}
extension OrderState: DatabaseValueConvertible {}
extension Cadence: DatabaseValueConvertible {}
extension NotificationKind: DatabaseValueConvertible {}
extension NotificationAudience: DatabaseValueConvertible {}
