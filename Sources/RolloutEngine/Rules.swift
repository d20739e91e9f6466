import RolloutStore

/// The rule sets the loop runs at every wake, in this order. Release management decides targets
/// before the upgrade programme acts on endpoints.
public enum Rules {
    public static let all: [any WakeRule] = [ReleaseManagementRule(), UpgradeProgrammeRule()]
}
