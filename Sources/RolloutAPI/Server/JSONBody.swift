import Foundation
import Hummingbird
import NIOCore
import RolloutCore

/// A request body read strictly (API-5, bad input): within the size limit, within the time limit,
/// a JSON object, every member known and of its type. Problems are collected with their JSON
/// pointer and answered together as 422; nothing is written for a refused body. Booleans,
/// integers, choices, versions and instants are read as the state document reads them
/// (`StrictFieldReader`).
struct JSONBody: StrictFieldReader {
    private let object: [String: JSONValue]
    private var known: Set<String> = []
    private(set) var errors: [Problem.FieldError] = []

    /// Reads the body of `request` under the server's limits; an empty body is an error unless
    /// `emptyIsObject`, when it reads as `{}`.
    static func read(_ request: Request, limits: BodyLimits, emptyIsObject: Bool = false) async throws -> JSONBody {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maxBytes {
            throw Problem.tooLarge(limit: limits.maxBytes)
        }
        let body = request.body
        let buffer = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                do {
                    return try await body.collect(upTo: limits.maxBytes)
                } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
                    throw Problem.tooLarge(limit: limits.maxBytes)
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(limits.timeoutSeconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else { throw Problem.timeout }
            return buffer
        }
        let data = Data(buffer.readableBytesView)
        if data.isEmpty && emptyIsObject { return JSONBody(object: [:]) }
        guard !data.isEmpty else { throw Problem.malformed("the request needs a JSON object body") }
        let parsed: JSONValue
        do {
            parsed = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw Problem.malformed("the body is not valid JSON")
        }
        guard case .object(let object) = parsed else { throw Problem.malformed("the body must be a JSON object") }
        return JSONBody(object: object)
    }

    private mutating func value(_ key: String, required: Bool) -> JSONValue? {
        known.insert(key)
        guard let value = object[key], value != .null else {
            if required { problem(key, "required") }
            return nil
        }
        return value
    }

    mutating func member(_ key: String, required: Bool) -> StrictMember? {
        guard let value = value(key, required: required) else { return nil }
        switch value {
        case .bool(let bool): return .bool(bool)
        case .integer(let wide): return Int(exactly: wide).map(StrictMember.integer) ?? .other
        case .string(let string): return .string(string)
        case .null, .number, .array, .object: return .other
        }
    }

    mutating func problem(_ key: String, _ detail: String) {
        errors.append(.init(pointer: key.isEmpty ? "" : "/\(key)", detail: detail))
    }

    /// Whether the member is present, even as null.
    func has(_ key: String) -> Bool { object[key] != nil }

    /// A string of at most 256 characters.
    mutating func string(_ key: String, required: Bool) -> String? {
        string(key, required: required, maxLength: 256)
    }

    mutating func string(_ key: String, required: Bool = false, maxLength: Int) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case .string(let string) = value else {
            problem(key, "expected a string")
            return nil
        }
        guard !string.isEmpty, string.count <= maxLength else {
            problem(key, "expected 1 to \(maxLength) characters")
            return nil
        }
        return string
    }

    mutating func strings(_ key: String, maxCount: Int) -> [String]? {
        guard let value = value(key, required: false) else { return nil }
        guard case .array(let items) = value else {
            problem(key, "expected an array of ids")
            return nil
        }
        let strings = items.compactMap { item -> String? in
            guard case .string(let text) = item, !text.isEmpty, text.count <= 128 else { return nil }
            return text
        }
        guard strings.count == items.count else {
            problem(key, "expected an array of ids")
            return nil
        }
        guard strings.count <= maxCount else {
            problem(key, "at most \(maxCount) items")
            return nil
        }
        return strings
    }

    mutating func integers(_ key: String, maxCount: Int) -> [Int64]? {
        guard let value = value(key, required: false) else { return nil }
        guard case .array(let items) = value else {
            problem(key, "expected an array of integers")
            return nil
        }
        let numbers = items.compactMap { item -> Int64? in
            guard case .integer(let number) = item else { return nil }
            return number
        }
        guard numbers.count == items.count else {
            problem(key, "expected an array of integers")
            return nil
        }
        guard numbers.count <= maxCount else {
            problem(key, "at most \(maxCount) items")
            return nil
        }
        return numbers
    }

    /// Refuses unknown members, then throws every problem found as one 422.
    mutating func finish() throws {
        for key in object.keys.sorted() where !known.contains(key) {
            problem(key, "unknown member; this request takes \(known.sorted().joined(separator: ", "))")
        }
        if !errors.isEmpty { throw Problem.invalid(errors) }
    }
}

/// How much of a body the server reads, and for how long.
struct BodyLimits: Sendable {
    let maxBytes: Int
    let timeoutSeconds: Int
}

/// A parsed JSON value that keeps booleans, integers and other numbers apart, so `"1"`, `1`,
/// `1.5` and `true` are each refused where another type is expected.
enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
