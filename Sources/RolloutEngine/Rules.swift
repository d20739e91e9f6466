import RolloutStore

/// The rule sets the loop runs at every wake, in this order. Rows that break a rule are found
/// and reported first (DMN-7); operator controls come next, so a pause is in force for
/// everything else at its instant (OPS-1); release management decides targets before the
/// upgrade programme acts on endpoints.
public enum Rules {
    public static let all: [any WakeRule] = [BadRowRule(), ControlsRule(), ReleaseManagementRule(), UpgradeProgrammeRule()]
}
