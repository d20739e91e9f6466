import Foundation
import GRDB
import RolloutCore

/// A JSON value, for listings whose fields are documented in docs/cli.md.
public enum JSONValue: Codable, Equatable, Sendable {
    case null, bool(Bool), int(Int64), string(String), array([JSONValue]), object([String: JSONValue])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .int(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// Plain text for table output.
    public var text: String {
        switch self {
        case .null: "-"
        case .bool(let value): value ? "yes" : "no"
        case .int(let value): String(value)
        case .string(let value): value
        case .array(let values): values.map(\.text).joined(separator: ",")
        case .object: "{…}"
        }
    }
}

/// The kinds `rolloutctl get` lists, with the columns each shows.
public enum EntityKind: String, CaseIterable, Sendable {
    case partners, organisations, users, endpoints, releases

    /// Columns in output order. Instants (`*_at`, `last_check_in`, `automatic_date`) print as UTC
    /// ISO-8601; flags as booleans.
    var query: String {
        switch self {
        case .partners:
            """
            SELECT id, name, locale, release_management, allow_customer_override, cadence, defer_weeks,
                   schedule_set_at, upgrade_policy, upgrade_delay_days, end_user_deferral_days, billing_day,
                   failure_threshold_percent, failure_threshold_minimum
            FROM partner ORDER BY id
            """
        case .organisations:
            """
            SELECT o.id, o.name, (SELECT group_concat(partner_id, ',') FROM (SELECT partner_id FROM organisation_partner
                   WHERE organisation_id = o.id ORDER BY partner_id)) AS partners,
                   o.generation, o.cadence, o.defer_weeks, o.schedule_origin, o.schedule_set_at, o.allow_customer_override,
                   o.legacy_defer_months, o.legacy_migrated_at, o.upgrade_delay_days, o.upgraded_at, o.first_bill_due_at
            FROM organisation o ORDER BY o.id
            """
        case .users:
            "SELECT id, organisation_id AS organisation, name, automatic_upgrades FROM user ORDER BY id"
        case .endpoints:
            """
            SELECT id, organisation_id AS organisation, user_id AS user, platform, os_version, installed_version,
                   agent_generation, agent_version, last_check_in, target_version, target_set_at, upgrade_state,
                   upgrade_at, deferral_deadline
            FROM endpoint ORDER BY id
            """
        case .releases:
            """
            SELECT r.version, r.auto_date AS automatic_date, r.critical,
                   (SELECT group_concat(platform, ',') FROM (SELECT platform FROM release_build
                    WHERE version = r.version ORDER BY platform)) AS platforms
            FROM release r ORDER BY r.version_key
            """
        }
    }

    /// The columns `rolloutctl get` shows by default; `-o wide` and `--json` show them all.
    public var narrowColumns: [String] {
        switch self {
        case .partners: ["id", "name", "locale", "release_management", "cadence", "defer_weeks", "upgrade_policy"]
        case .organisations: ["id", "name", "partners", "generation", "cadence", "defer_weeks"]
        case .users: ["id", "organisation", "name", "automatic_upgrades"]
        case .endpoints: ["id", "organisation", "platform", "installed_version", "target_version", "upgrade_state"]
        case .releases: ["version", "automatic_date", "critical", "platforms"]
        }
    }

    /// Which rows a `--partner`, `--org` or id filter keeps (?1 partner, ?2 organisation, ?3 id).
    var filter: String {
        switch self {
        case .partners:
            "(?1 IS NULL OR id = ?1) AND (?2 IS NULL OR id IN (SELECT partner_id FROM organisation_partner WHERE organisation_id = ?2)) AND (?3 IS NULL OR id = ?3)"
        case .organisations:
            "(?1 IS NULL OR id IN (SELECT organisation_id FROM organisation_partner WHERE partner_id = ?1)) AND (?2 IS NULL OR id = ?2) AND (?3 IS NULL OR id = ?3)"
        case .users, .endpoints:
            "(?1 IS NULL OR organisation IN (SELECT organisation_id FROM organisation_partner WHERE partner_id = ?1)) AND (?2 IS NULL OR organisation = ?2) AND (?3 IS NULL OR id = ?3)"
        case .releases:
            "?1 IS NULL AND ?2 IS NULL AND (?3 IS NULL OR version = ?3)"
        }
    }

    /// The singular, for messages and `get organisation ID`.
    public var singular: SubjectKind {
        switch self {
        case .partners: .partner
        case .organisations: .organisation
        case .users: .user
        case .endpoints: .endpoint
        case .releases: .release
        }
    }

    static let flags: Set<String> = ["release_management", "allow_customer_override", "critical"]
    static let lists: Set<String> = ["partners", "platforms"]
}

extension Store {
    /// The stored entities of a kind, as ordered columns: all of them, those of a partner or an
    /// organisation, or the one with `id`.
    public func list(_ kind: EntityKind, partner: String? = nil, organisation: String? = nil,
                     id: String? = nil) throws -> (columns: [String], rows: [[JSONValue]]) {
        try read { db in
            let statement = try db.makeStatement(sql: "SELECT * FROM (\(kind.query)) WHERE \(kind.filter)")
            statement.arguments = [partner, organisation, id]
            let columns = statement.columnNames
            let rows = try Row.fetchAll(statement).map { row in
                columns.enumerated().map { index, column in Self.json(row[index] as DatabaseValue, column: column) }
            }
            return (columns, rows)
        }
    }

    static func json(_ value: DatabaseValue, column: String) -> JSONValue {
        switch value.storage {
        case .null: return .null
        case .int64(let int):
            if EntityKind.flags.contains(column) { return .bool(int != 0) }
            if column.hasSuffix("_at") || column == "last_check_in" || column == "automatic_date"
                || column == "deferral_deadline" {
                return .string(Instant.format(Instant.date(int)))
            }
            return .int(int)
        case .double(let double): return .int(Int64(double))
        case .string(let string):
            if EntityKind.lists.contains(column) { return .array(string.split(separator: ",").map { .string(String($0)) }) }
            return .string(string)
        case .blob: return .string("<blob>")
        }
    }
}
