public import Foundation
import GRDB
public import RolloutCore

/// One agent check-in, as the API accepted it (API-3): what the endpoint runs, and the end-user
/// notifications it has shown.
public struct CheckInReport: Codable, Equatable, Sendable {
    public let endpoint: String
    public let at: Date
    public let installedVersion: Version
    public let agentVersion: String?
    public let osVersion: String?
    public let acknowledged: [Int64]

    public init(endpoint: String, at: Date, installedVersion: Version, agentVersion: String?, osVersion: String?, acknowledged: [Int64]) {
        self.endpoint = endpoint
        self.at = at
        self.installedVersion = installedVersion
        self.agentVersion = agentVersion
        self.osVersion = osVersion
        self.acknowledged = acknowledged
    }

    enum CodingKeys: String, CodingKey {
        case endpoint, at, acknowledged
        case installedVersion = "installed_version"
        case agentVersion = "agent_version"
        case osVersion = "os_version"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .installedVersion)
        guard let version = Version(text) else {
            throw DecodingError.dataCorruptedError(forKey: .installedVersion, in: container, debugDescription: "'\(text)' is not a version")
        }
        self.init(endpoint: try container.decode(String.self, forKey: .endpoint), at: try container.decode(Date.self, forKey: .at),
                  installedVersion: version, agentVersion: try container.decodeIfPresent(String.self, forKey: .agentVersion),
                  osVersion: try container.decodeIfPresent(String.self, forKey: .osVersion),
                  acknowledged: try container.decode([Int64].self, forKey: .acknowledged))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(endpoint, forKey: .endpoint)
        try container.encode(at, forKey: .at)
        try container.encode(installedVersion.description, forKey: .installedVersion)
        try container.encodeIfPresent(agentVersion, forKey: .agentVersion)
        try container.encodeIfPresent(osVersion, forKey: .osVersion)
        try container.encode(acknowledged, forKey: .acknowledged)
    }
}

/// What an agent learns at check-in (API-3), read from the last committed state.
public struct AgentView: Sendable {
    public struct Build: Sendable {
        public let file: String
        public let size: Int64
        public let sha256: String
    }

    public struct Notice: Sendable {
        public let id: Int64
        public let kind: String
        public let locale: String
        public let dueAt: Date
        public let subject: String
        public let body: String
    }

    public let endpoint: String
    public let organisation: String
    public let platform: Platform
    public let installedVersion: String
    public let targetVersion: String?
    public let build: Build?
    public let upgradeState: EndpointUpgradeState?
    public let upgradeAt: Date?
    public let deferralDeadline: Date?
    public let failureReason: String?
    public let notifications: [Notice]

    /// The end-user and device events the lifecycle accepts now (UPG-6), in the API's names.
    public var openActions: [String] {
        switch upgradeState {
        case .notified?, .deferred?: ["deferred", "upgrade_now"]
        case .installing?: ["installed", "failed"]
        case .restartRequired?: ["restart_done", "failed"]
        case .pending?, .upgraded?, .failed?, nil: []
        }
    }
}

extension Store {
    /// The endpoint's target, build, lifecycle state and pending end-user notifications, or nil
    /// for an endpoint that does not exist. `excluding` are notifications acknowledged but not
    /// yet drained from the API's inbox.
    public func agentView(endpoint: String, excluding acknowledged: Set<Int64>) throws -> AgentView? {
        try read { db in
            // Cached statements: prepared once per connection, not at every check-in.
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT e.organisation_id, e.platform, e.installed_version, e.target_version, e.upgrade_state, e.upgrade_at,
                       e.deferral_deadline, e.failure_reason, b.file, b.size, b.sha256
                FROM endpoint e LEFT JOIN release_build b ON b.version = e.target_version AND b.platform = e.platform
                WHERE e.id = ?
                """), arguments: [endpoint]),
                let platform = Platform(rawValue: row["platform"]) else { return nil }
            let notices = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT n.id, n.kind, n.locale, n.due_at, n.subject, n.body FROM notification n
                WHERE n.endpoint_id = ? AND n.audience = 'end_user'
                  AND NOT EXISTS (SELECT 1 FROM end_user_delivery d WHERE d.notification_id = n.id)
                ORDER BY n.id LIMIT 100
                """), arguments: [endpoint]).compactMap { row -> AgentView.Notice? in
                let id: Int64 = row["id"]
                guard !acknowledged.contains(id) else { return nil }
                return AgentView.Notice(id: id, kind: row["kind"], locale: row["locale"], dueAt: Instant.date(row["due_at"]),
                                        subject: row["subject"], body: row["body"])
            }
            let file: String? = row["file"]
            return AgentView(
                endpoint: endpoint, organisation: row["organisation_id"], platform: platform, installedVersion: row["installed_version"],
                targetVersion: row["target_version"],
                build: file.map { AgentView.Build(file: $0, size: row["size"], sha256: row["sha256"]) },
                upgradeState: (row["upgrade_state"] as String?).flatMap(EndpointUpgradeState.init(rawValue:)),
                upgradeAt: (row["upgrade_at"] as Int64?).map(Instant.date),
                deferralDeadline: (row["deferral_deadline"] as Int64?).map(Instant.date),
                failureReason: row["failure_reason"], notifications: notices)
        }
    }
}
