import Foundation
import GRDB
import Hummingbird
import RolloutCore
import RolloutStore
import RolloutEngine

/// The agent's side (API-3): check in, report events. Agent tokens only, endpoints of their
/// organisation only.
struct AgentRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.post("/v1/endpoints/{id}/check-in") { request, context in try await checkIn(request, context) }
        router.post("/v1/endpoints/{id}/events") { request, context in try await event(request, context) }
    }

    /// Accepts the report into the inbox and answers from the last committed state: target and
    /// build, lifecycle state and open actions, pending end-user notifications, next check-in.
    func checkIn(_ request: Request, _ context: APIContext) async throws -> Response {
        let scope = try Scope(services, context, roles: [.agent])
        let endpoint = try context.pathID("id")
        try request.onlyQuery([])
        var body = try await services.body(request)
        let installed = body.version("installed_version", required: true)
        _ = body.choice("agent_generation", Generation.self)
        let agentVersion = body.string("agent_version", maxLength: 64)
        let osVersion = body.string("os", maxLength: 128)
        let platform = body.choice("platform", Platform.self)
        let acknowledged = body.integers("acknowledged_notifications", maxCount: 1_000) ?? []
        try body.finish()
        let now = services.now()
        let store = services.store
        let pending = services.inbox.acknowledged(endpoint: endpoint).union(acknowledged)
        // One read answers both the scope (the endpoint's organisation) and the check-in.
        guard let view = try await services.blocking.read({ try store.agentView(endpoint: endpoint, excluding: pending) }),
              view.organisation == scope.token.organisation else {
            throw Problem.notFound("endpoint", endpoint)
        }
        if let platform, platform != view.platform {
            throw Problem.invalid([.init(pointer: "/platform", detail: "endpoint '\(endpoint)' is a \(view.platform.rawValue) endpoint, not \(platform.rawValue)")])
        }
        try await services.inbox.append(CheckInReport(endpoint: endpoint, at: now, installedVersion: installed!, agentVersion: agentVersion,
                                                      osVersion: osVersion, acknowledged: acknowledged))
        return try JSONResponse.make(CheckInAnswer(view, now: now, interval: services.checkInInterval))
    }

    /// An end-user or device event, applied by the lifecycle (UPG-6). `event_id` makes a retried
    /// request harmless: the same id answers the state it produced, without applying it again.
    func event(_ request: Request, _ context: APIContext) async throws -> Response {
        let scope = try Scope(services, context, roles: [.agent])
        let endpoint = try context.pathID("id")
        try request.onlyQuery([])
        var body = try await services.body(request)
        let eventID = body.string("event_id", required: true, maxLength: 128)
        let name = body.choice("event", AgentEvent.self, required: true)
        let reason = body.string("reason", maxLength: 1_000)
        if name == .failed && reason == nil { body.problem("reason", "required with event 'failed'") }
        if name != .failed && reason != nil { body.problem("reason", "only event 'failed' takes a reason") }
        try body.finish()
        let organisation = try await scope.endpoint(endpoint)
        let store = services.store
        let key = eventID!
        let replay = { @Sendable () async throws -> Response? in
            guard let state = try await services.blocking.read({ try store.replayedEventState(endpoint: endpoint, requestKey: key) }) else {
                return nil
            }
            return try JSONResponse.make(EventAnswer(endpoint: endpoint, eventID: key, state: state, replayed: true))
        }
        if let replayed = try await replay() { return replayed }
        let now = services.now()
        let rules = services.rules
        let event = name!.lifecycleEvent(reason: reason)
        let state: EndpointUpgradeState
        do {
            state = try await services.audited(scope.token, action: "endpoint.\(name!.rawValue)", subject: ("endpoint", endpoint),
                                               partner: nil, organisation: organisation, at: now, requestKey: key) {
                try store.endpointEvent(event, endpoint: endpoint, at: now, context: rules)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            // The same event id committed by a concurrent retry: answer what it did.
            guard let replayed = try await replay() else { throw error }
            return replayed
        }
        return try JSONResponse.make(EventAnswer(endpoint: endpoint, eventID: eventID!, state: state, replayed: false))
    }
}

/// The events an agent reports, in the API's words, and the lifecycle's event for each (UPG-6).
enum AgentEvent: String, CaseIterable {
    case deferred, upgradeNow = "upgrade_now", installed, restartDone = "restart_done", failed

    func lifecycleEvent(reason: String?) -> EndpointUpgradeEvent {
        switch self {
        case .deferred: .userDeferred
        case .upgradeNow: .userUpgradeNow
        case .installed: .installCompleted
        case .restartDone: .restartReported
        case .failed: .failureReported(reason: reason ?? "")
        }
    }
}

struct EventAnswer: Encodable {
    let endpoint: String
    let eventID: String
    let state: EndpointUpgradeState
    let replayed: Bool

    enum CodingKeys: String, CodingKey {
        case endpoint, state, replayed
        case eventID = "event_id"
    }
}

/// The check-in answer (API-3).
struct CheckInAnswer: Encodable {
    struct Target: Encodable {
        let version: String
        let build: Build?
    }

    struct Build: Encodable {
        let file: String
        let size: Int64
        let sha256: String
    }

    struct Upgrade: Encodable {
        let state: EndpointUpgradeState
        let upgradeAt: Date?
        let deferUntil: Date?
        let actions: [String]
        let failureReason: String?

        enum CodingKeys: String, CodingKey {
            case state, actions
            case upgradeAt = "upgrade_at"
            case deferUntil = "defer_until"
            case failureReason = "failure_reason"
        }
    }

    struct Notice: Encodable {
        let id: Int64
        let kind: String
        let locale: String
        let dueAt: Date
        let subject: String
        let body: String

        enum CodingKeys: String, CodingKey {
            case id, kind, locale, subject, body
            case dueAt = "due_at"
        }
    }

    let endpoint: String
    let installedVersion: String
    let target: Target?
    let upgrade: Upgrade?
    let notifications: [Notice]
    let nextCheckInAt: Date

    enum CodingKeys: String, CodingKey {
        case endpoint, target, upgrade, notifications
        case installedVersion = "installed_version"
        case nextCheckInAt = "next_check_in_at"
    }

    /// The next check-in comes at the interval, or sooner when one of the endpoint's own
    /// deadlines (its automatic upgrade, its deferral deadline) comes first, but never sooner than
    /// ten seconds from now.
    init(_ view: AgentView, now: Date, interval: TimeInterval) {
        endpoint = view.endpoint
        installedVersion = view.installedVersion
        target = view.targetVersion.map { version in
            Target(version: version, build: view.build.map { Build(file: $0.file, size: $0.size, sha256: $0.sha256) })
        }
        upgrade = view.upgradeState.map { state in
            Upgrade(state: state, upgradeAt: state == .pending ? view.upgradeAt : nil,
                    deferUntil: state == .notified || state == .deferred ? view.deferralDeadline : nil,
                    actions: view.openActions, failureReason: state == .failed ? view.failureReason : nil)
        }
        notifications = view.notifications.map {
            Notice(id: $0.id, kind: $0.kind, locale: $0.locale, dueAt: $0.dueAt, subject: $0.subject, body: $0.body)
        }
        let deadlines = [upgrade?.upgradeAt, upgrade?.deferUntil].compactMap { $0 }.filter { $0 > now }
        let next = min(deadlines.min() ?? now.addingTimeInterval(interval), now.addingTimeInterval(interval))
        nextCheckInAt = max(next, now.addingTimeInterval(10))
    }
}
