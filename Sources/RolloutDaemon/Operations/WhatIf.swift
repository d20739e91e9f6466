public import Foundation
import RolloutCore
import RolloutStore

/// OPS-4: the same forecast twice, on two copies, the second with hypothetical requests made
/// first, and how the outcome differs: who moves earlier or later, orders and notifications
/// added or removed. Nothing is written to the store.
public struct WhatIf: Encodable, Sendable {
    /// One endpoint whose move (a new target, an upgrade step) happens at another instant, or
    /// only in one of the two runs.
    public struct EndpointChange: Encodable, Sendable {
        public let endpoint: String
        public let organisation: String?
        /// `CAD-2 → 45.11.0`, `UPG-6 → installing`.
        public let what: String
        /// `earlier`, `later`, `added` (only with the requests) or `removed` (only without).
        public let change: String
        public let plainAt: Date?
        public let whatIfAt: Date?

        enum CodingKeys: String, CodingKey {
            case endpoint, organisation, what, change
            case plainAt = "plain_at"
            case whatIfAt = "what_if_at"
        }
    }

    public struct OrderChange: Encodable, Sendable {
        public let organisation: String
        public let change: String
        public let plainAt: Date?
        public let whatIfAt: Date?

        enum CodingKeys: String, CodingKey {
            case organisation, change
            case plainAt = "plain_at"
            case whatIfAt = "what_if_at"
        }
    }

    public struct NotificationChange: Encodable, Sendable {
        public let key: String
        public let kind: String
        public let dueAt: Date
        /// `added` or `removed`.
        public let change: String

        enum CodingKeys: String, CodingKey {
            case key, kind, change
            case dueAt = "due_at"
        }
    }

    public struct Differences: Encodable, Sendable {
        public let endpoints: [EndpointChange]
        public let orders: [OrderChange]
        public let notifications: [NotificationChange]
    }

    public let requests: [String]
    public let plain: Forecast
    public let whatIf: Forecast
    public let differences: Differences

    enum CodingKeys: String, CodingKey {
        case requests, plain, differences
        case whatIf = "what_if"
    }

    public init(requests: [String], plain: Forecast, whatIf: Forecast) {
        self.requests = requests
        self.plain = plain
        self.whatIf = whatIf
        differences = Self.compare(plain.outcome, whatIf.outcome)
    }

    static func compare(_ plain: ForecastOutcome, _ whatIf: ForecastOutcome) -> Differences {
        func change(_ before: Date?, _ after: Date?) -> String? {
            switch (before, after) {
            case (nil, _?): "added"
            case (_?, nil): "removed"
            case let (before?, after?) where after < before: "earlier"
            case let (before?, after?) where after > before: "later"
            default: nil
            }
        }
        let endpoints = Set(plain.moves.keys).union(whatIf.moves.keys).sorted().compactMap { key -> EndpointChange? in
            let before = plain.moves[key], after = whatIf.moves[key]
            guard let move = before ?? after, let kind = change(before?.at, after?.at) else { return nil }
            return EndpointChange(endpoint: move.endpoint, organisation: move.organisation, what: move.what, change: kind,
                                  plainAt: before?.at, whatIfAt: after?.at)
        }
        let orders = Set(plain.orders.keys).union(whatIf.orders.keys).sorted().compactMap { organisation -> OrderChange? in
            guard let kind = change(plain.orders[organisation], whatIf.orders[organisation]) else { return nil }
            return OrderChange(organisation: organisation, change: kind, plainAt: plain.orders[organisation],
                               whatIfAt: whatIf.orders[organisation])
        }
        let notifications = Set(plain.notifications.keys).symmetricDifference(whatIf.notifications.keys).compactMap { key in
            (plain.notifications[key] ?? whatIf.notifications[key]).map {
                NotificationChange(key: key, kind: $0.kind, dueAt: $0.dueAt, change: plain.notifications[key] == nil ? "added" : "removed")
            }
        }.sorted { ($0.dueAt, $0.key) < ($1.dueAt, $1.key) }
        return Differences(endpoints: endpoints, orders: orders, notifications: notifications)
    }
}
