import RolloutStore

/// The rule sets the loop runs at every wake, in this order. Rows that break a rule are found
/// and reported first (DMN-7); release management decides targets before the upgrade programme
/// acts on endpoints.
public enum Rules {
    public static let all: [any WakeRule] = [BadRowRule(), ReleaseManagementRule(), UpgradeProgrammeRule()]
}
