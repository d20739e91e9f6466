import Foundation

/// What `--json` prints for a write that has no richer answer of its own: which request it was,
/// on what, and when, so a script can log it and find it again in `history`.
struct Receipt: Encodable {
    /// `programme_created`, `order_answer_recorded`, `endpoint_event`, `automatic_upgrades_set`,
    /// `installed_version_reported`, `backup_written`.
    let request: String
    /// `partner:ID`, `organisation:ID`, `endpoint:ID`, `user:ID`, or a file path for a backup.
    let subject: String
    let requestedAt: Date
    /// Request-specific values (new state, order id, instants), documented per command.
    var details: [String: Detail] = [:]

    enum Detail: Encodable {
        case text(String), number(Int64), instant(Date)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let value): try container.encode(value)
            case .number(let value): try container.encode(value)
            case .instant(let value): try container.encode(value)
            }
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(request, forKey: DynamicKey("request"))
        try container.encode(subject, forKey: DynamicKey("subject"))
        try container.encode(requestedAt, forKey: DynamicKey("requested_at"))
        for (key, value) in details { try container.encode(value, forKey: DynamicKey(key)) }
    }
}

struct DynamicKey: CodingKey {
    let stringValue: String
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}
