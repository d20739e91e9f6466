/// The release both executables report with `--version`, and the configuration they read by
/// default.
public enum Release {
    /// Bumped with every release; `rolloutd --version` and `rolloutctl --version` print it.
    public static let version = "0.5.0"

    /// The environment variable naming the configuration file when `--config` is not given.
    public static let configEnvironmentVariable = "ROLLOUTD_CONFIG"

    /// `--config` if given, else `$ROLLOUTD_CONFIG`, else /etc/rolloutd/rolloutd.toml.
    public static func defaultConfigPath(environment: [String: String]) -> String {
        if let path = environment[configEnvironmentVariable], !path.isEmpty { return path }
        return Configuration.defaultPath
    }
}
