import RolloutStore

/// The rule sets the loop runs at every wake, in this order. Operator controls come first, so a
/// pause is in force for everything else at its instant (OPS-1); release management decides
/// targets before the upgrade programme acts on endpoints.
public enum Rules {
    public static let all: [any WakeRule] = [ControlsRule(), ReleaseManagementRule(), UpgradeProgrammeRule()]
}
