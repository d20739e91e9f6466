import Foundation
import Hummingbird
import NIOCore
import RolloutCore
import RolloutDaemon
import RolloutStore
import RolloutEngine

/// What every route needs: the shared store, the blocking pools, the check-in inbox, the
/// rules' context (calendar, policy), the API settings and the clock requests are stamped with.
struct Services: Sendable {
    let store: Store
    let blocking: Blocking
    let inbox: CheckInInbox
    let usage: TokenUsage
    let rules: RuleContext
    let limits: BodyLimits
    let checkInInterval: TimeInterval
    /// Webhook address policy and secret overlap (DLV-5), as the CLI reads them.
    let delivery: Configuration.Delivery
    let now: @Sendable () -> Date

    func body(_ request: Request) async throws -> JSONBody {
        try await JSONBody.read(request, limits: limits)
    }

    /// The body of a request whose members are all optional: none at all reads as `{}`.
    func optionalBody(_ request: Request) async throws -> JSONBody {
        try await JSONBody.read(request, limits: limits, emptyIsObject: true)
    }

    /// A write through an engine call on behalf of `token`: its actor lands in the audit trail
    /// in the transaction of the write (API-2).
    func audited<T: Sendable>(_ token: APIToken, action: String, subject: (kind: String, id: String), partner: String?,
                              organisation: String?, at instant: Date, requestKey: String? = nil,
                              _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let request = AuditedRequest(token: token, action: action, subjectKind: subject.kind, subjectID: subject.id, partner: partner,
                                     organisation: organisation, at: instant, requestKey: requestKey)
        return try await blocking.write { try Store.$auditedRequest.withValue(request) { try body() } }
    }
}

extension APIToken {
    /// The token as an actor where the engine records a name (a pause, a test ping):
    /// `token 'NAME' (ID)`; the audit trail has the token's columns besides (API-2).
    var actorName: String { "token '\(name)' (\(id))" }
}

/// JSON answers in the CLI's `--json` spelling: snake_case keys, instants as UTC ISO-8601.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Instant.format(date))
        }
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Request {
    /// A query parameter as an integer within `range`, or its default; anything else is a 422.
    func integerQuery(_ name: String, in range: ClosedRange<Int64>, default value: Int64) throws -> Int64 {
        guard let text = uri.queryParameters.get(name) else { return value }
        guard let number = Int64(text), range.contains(number) else {
            throw Problem.invalid([.init(pointer: "?\(name)", detail: "expected an integer between \(range.lowerBound) and \(range.upperBound)")])
        }
        return number
    }

    /// Refuses query parameters a route does not take, like unknown body members.
    func onlyQuery(_ names: Set<String>) throws {
        let unknown = uri.queryParameters.map { String($0.key) }.filter { !names.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw Problem.invalid(unknown.map { .init(pointer: "?\($0)", detail: "unknown query parameter") })
        }
    }
}
