import RolloutCore

/// The conditions that find endpoint and organisation rows another process wrote against the
/// rules (DMN-7), written once: the wake's bad-row checks select with them, and migrations
/// `engine-perf-3` (endpoints) and `engine-perf-4` (organisations) index exactly them (partial
/// indexes). SQLite uses a partial index only for a query whose WHERE is the index's own
/// expression, so a boundary visits the bad rows alone instead of scanning a million endpoints
/// three times and 100,000 organisations twice. `BadRowIndexTests` checks the query plans.
package enum BadRowCondition {
    /// CAD-2: the installed version is not dotted numbers.
    package static let installedVersionInvalid = """
        installed_version = '' OR installed_version GLOB '*[^0-9.]*' OR installed_version GLOB '.*' \
        OR installed_version GLOB '*.' OR installed_version GLOB '*..*'
        """
    /// UPG-6: a lifecycle state no rule knows.
    package static let upgradeStateUnknown =
        "upgrade_state NOT IN ('pending','notified','deferred','installing','restart_required','upgraded','failed')"
    /// CAD-7: a platform no rule knows.
    package static let platformUnknown =
        "platform NOT IN (\(Platform.allCases.map { "'\($0.rawValue)'" }.joined(separator: ",")))"
    /// UPG-5: a generation that is neither legacy nor cloud.
    package static let generationUnknown = "generation NOT IN ('legacy','cloud')"
    /// UPG-3: policy features that are not a JSON array (`json_type` is evaluated only for valid
    /// JSON, which it requires).
    package static let policyFeaturesInvalid = "json_valid(policy_features) = 0 OR json_type(policy_features) IS NOT 'array'"
}
