import Foundation
public import Logging
public import RolloutCore
import RolloutEngine

/// Everything an operator can set in `rolloutd.toml`. Every value has the SPEC default, so an
/// empty file is a valid configuration. Nested by subject, like the file's tables.
public struct Configuration: Sendable, Equatable {
    /// `[store]`: where the database lives and how long a writer waits for another.
    public struct Store: Sendable, Equatable {
        /// Explicit database path. When nil: `$STATE_DIRECTORY/rolloutd.sqlite` under systemd,
        /// else `/var/lib/rolloutd/rolloutd.sqlite`.
        public var path: String?
        /// How long a write waits for another process's write (the CLI and the daemon share the file).
        public var busyTimeoutMilliseconds: Int = 5_000

        public init(path: String? = nil, busyTimeoutMilliseconds: Int = 5_000) {
            self.path = path
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        }

        /// The database path this process uses, given its environment.
        public func resolvedPath(environment: [String: String]) -> String {
            if let path { return path }
            if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first {
                return "\(state)/rolloutd.sqlite"
            }
            return "/var/lib/rolloutd/rolloutd.sqlite"
        }
    }

    /// `[daemon]`: the loop's own settings.
    public struct Daemon: Sendable, Equatable {
        /// How often the daemon looks for changes written by other processes (DMN-1).
        public var pollIntervalSeconds: Int = 5
        public var logLevel: Logger.Level = .info
        /// The most endpoints one wake retargets; a release that moves more is applied over
        /// several wakes a second apart, each atomic (DMN-3).
        public var retargetsPerWake: Int = RuleContext.defaultRetargetsPerWake

        public init(pollIntervalSeconds: Int = 5, logLevel: Logger.Level = .info) {
            self.pollIntervalSeconds = pollIntervalSeconds
            self.logLevel = logLevel
        }
    }

    /// `[delivery]`: webhook delivery by `rolloutd deliver` (DLV-1…5).
    public struct Delivery: Sendable, Equatable {
        /// The first retry waits this long; each next one twice as long, with jitter (DLV-2).
        public var firstRetrySeconds: Int = 30
        /// No wait between two retries is longer than this.
        public var maxRetryIntervalSeconds: Int = 3_600
        /// After this long without a 2xx, a delivery is dead-lettered (3 days).
        public var giveUpAfterSeconds: Int = 259_200
        /// Bound on establishing a connection (TCP and TLS).
        public var connectTimeoutSeconds: Int = 5
        /// Bound on a whole attempt, from connecting to the end of the answer.
        public var requestTimeoutSeconds: Int = 15
        /// How many requests may be in flight to one endpoint at once: a slow one holds only these.
        public var perEndpointConcurrency: Int = 8
        /// How much of an answer's body is read, for the operator's error text.
        public var responseBodyLimitBytes: Int = 4_096
        /// How often the deliverer looks for new notifications and due retries (milliseconds).
        public var pollIntervalMilliseconds: Int = 100
        /// How long the secret replaced by `rolloutctl webhook rotate-secret` keeps signing (DLV-5).
        public var secretOverlapHours: Int = 24
        /// Hosts (names or addresses) that may use `http` and resolve to private, link-local or
        /// metadata addresses; loopback (`localhost`, 127.0.0.0/8, ::1) always may (DLV-5).
        public var allowedHosts: [String] = []
        /// Networks (CIDR) whose private or link-local addresses may be connected to (DLV-5).
        public var allowedNetworks: [String] = []

        public init() {}
    }

    /// `[api]`: the integration API process, `rolloutd serve` (SPEC §8).
    public struct API: Sendable, Equatable {
        /// Loopback address and port the API listens on; TLS is a reverse proxy's job.
        public var host = "127.0.0.1"
        public var port = 8480
        /// The check-in inbox (API-6); a relative path is taken relative to the database's directory.
        public var inboxPath = "rolloutd-inbox.sqlite"
        /// Larger request bodies are refused with 413 before they are read in full.
        public var maxBodyBytes = 65_536
        /// A request whose body has not arrived in full within this many seconds is answered 408.
        public var requestTimeoutSeconds = 10
        /// How often an agent with nothing due should check in (API-3).
        public var checkInIntervalSeconds = 3_600

        public init() {}

        /// The inbox path this process uses, given the resolved database path.
        public func resolvedInboxPath(databasePath: String) -> String {
            if inboxPath.hasPrefix("/") { return inboxPath }
            return URL(fileURLWithPath: databasePath).deletingLastPathComponent().appendingPathComponent(inboxPath).path
        }
    }

    public var store = Store()
    public var daemon = Daemon()
    public var delivery = Delivery()
    public var api = API()
    /// `[calendar]`: business-day boundaries (CAL-1, CAL-2).
    public var calendar = BusinessCalendar.Configuration()
    /// `[releases]` and `[upgrades]`: the SPEC's numeric defaults.
    public var policy = Policy()

    public init() {}
}

/// A configuration file that cannot be used: which file, which key, and why (DMN-7).
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let file: String
    /// Dotted key (`calendar.zone`), or nil for a syntax error in the file as a whole.
    public let key: String?
    public let reason: String

    public init(file: String, key: String?, reason: String) {
        self.file = file
        self.key = key
        self.reason = reason
    }

    public var description: String {
        if let key { return "\(file): \(key): \(reason)" }
        return "\(file): \(reason)"
    }
}
