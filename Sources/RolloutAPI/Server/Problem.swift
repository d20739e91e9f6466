import Foundation
public import Hummingbird
import NIOCore
import RolloutStore
import RolloutEngine

/// An RFC 9457 problem: every error the API answers is one, as `application/problem+json`,
/// and carries the SPEC rule that decided it (`rule`), so a console can show the same words as
/// `rolloutctl` (API-2).
public struct Problem: HTTPResponseError, Sendable {
    /// One invalid member of a request body or query, by JSON pointer.
    public struct FieldError: Codable, Sendable, Equatable {
        public let pointer: String
        public let detail: String
    }

    public let status: HTTPResponse.Status
    /// The problem type, the last part of its `type` URI: `unauthorized`, `refused`, …
    public let slug: String
    public let title: String
    public let detail: String
    public let rule: String
    public var errors: [FieldError] = []
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ slug: String, title: String, detail: String, rule: String,
                errors: [FieldError] = []) {
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.rule = rule
        self.errors = errors
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var object: [String: Any] = [
            "type": "urn:rolloutd:problem:\(slug)", "title": title, "status": Int(status.code), "detail": detail,
            "rule": rule, "instance": request.uri.path,
        ]
        if !errors.isEmpty { object["errors"] = errors.map { ["pointer": $0.pointer, "detail": $0.detail] } }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Problem {
    /// No token, or one that is unknown, malformed, expired or revoked: one answer for all, so a
    /// caller learns nothing about which (API-1).
    static var unauthorized: Problem {
        var problem = Problem(.unauthorized, "unauthorized", title: "Authentication required",
                              detail: "send a valid, unexpired, unrevoked token as 'Authorization: Bearer rlt_…' (rolloutctl token create)",
                              rule: "API-1")
        problem.headers[.wwwAuthenticate] = #"Bearer realm="rolloutd""#
        return problem
    }

    /// The token's role may not use this route at all.
    static func forbidden(_ role: TokenRole, allowed: [TokenRole]) -> Problem {
        Problem(.forbidden, "forbidden", title: "Not allowed for this token's role",
                detail: "a \(role.rawValue) token cannot use this route; it is for \(allowed.map(\.rawValue).joined(separator: ", ")) tokens",
                rule: "API-1")
    }

    /// The subject does not exist, or lies outside the token's scope: the same answer, so a
    /// token cannot probe another tenant's ids (API-1).
    static func notFound(_ kind: String, _ id: String) -> Problem {
        Problem(.notFound, "not-found", title: "Not found",
                detail: "no \(kind) '\(id)' within this token's scope", rule: "API-1")
    }

    static func invalid(_ errors: [FieldError]) -> Problem {
        Problem(.unprocessableContent, "invalid-request", title: "Invalid request",
                detail: errors.map { "\($0.pointer.isEmpty ? "body" : $0.pointer): \($0.detail)" }.joined(separator: "; "),
                rule: "API-5", errors: errors)
    }

    static func methodNotAllowed(_ method: String, allowed: [String]) -> Problem {
        var problem = Problem(.methodNotAllowed, "method-not-allowed", title: "Method not allowed",
                              detail: "this path takes \(allowed.joined(separator: ", ")), not \(method)", rule: "API-5")
        problem.headers[.allow] = allowed.joined(separator: ", ")
        return problem
    }

    static func malformed(_ detail: String) -> Problem {
        Problem(.badRequest, "malformed-request", title: "Malformed request", detail: detail, rule: "API-5")
    }

    static func tooLarge(limit: Int) -> Problem {
        Problem(.contentTooLarge, "body-too-large", title: "Request body too large",
                detail: "the body exceeds \(limit) bytes ([api] max_body_bytes)", rule: "API-5")
    }

    static var timeout: Problem {
        var problem = Problem(.requestTimeout, "request-timeout", title: "Request body not received in time",
                              detail: "the request body did not arrive in full within [api] request_timeout_seconds; send it again",
                              rule: "API-6")
        problem.headers[.connection] = "close"
        return problem
    }

    static func busy(_ detail: String) -> Problem {
        var problem = Problem(.serviceUnavailable, "busy", title: "The scheduler is busy",
                              detail: "\(detail); nothing was written. Retry after the Retry-After delay", rule: "API-6")
        problem.headers[.retryAfter] = "5"
        return problem
    }

    /// A store error, as the CLI would say it: refusals are 409 with the rule the message names.
    static func from(_ error: StoreError) -> Problem {
        switch error.code {
        case .notFound:
            Problem(.notFound, "not-found", title: "Not found", detail: error.message, rule: "API-1")
        case .refused:
            Problem(.conflict, "refused", title: "Refused by a rule", detail: error.message,
                    rule: ruleID(in: error.message) ?? "API-2")
        case .cannotOpen:
            Problem.busy(error.message)
        case .corrupt:
            Problem(.internalServerError, "bad-row", title: "A stored row breaks a rule", detail: error.message, rule: "DMN-7")
        case .newerSchema:
            Problem(.serviceUnavailable, "newer-schema", title: "Database of a newer release", detail: error.message, rule: "DMN-7")
        }
    }

    /// The last SPEC rule id a message cites (`… (CAD-4)`).
    static func ruleID(in message: String) -> String? {
        let pattern = /\b(CAL|CAD|UPG|NOT|DMN|OPS|API|DLV)-\d+\b/
        return message.matches(of: pattern).last.map { String($0.output.0) }
    }
}
