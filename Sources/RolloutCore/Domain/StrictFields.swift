package import Foundation

/// A JSON member as the strict readers judge it: one of the kinds they accept, or another.
package enum StrictMember {
    case bool(Bool)
    /// A number that is an integer (`1`, `1.0`); `1.5` is `other`.
    case integer(Int)
    case string(String)
    /// null is never a member (absent and null read alike); arrays, objects, fractions are other.
    case other
}

/// Typed, strict reads of one JSON object's members, shared by the state document's reader
/// (`rolloutctl apply`) and the API's request bodies, so both refuse the same values with the
/// same words. A reader finds a member (recording it as known, and "required" where it must be
/// there), says where a problem is, and reads strings under its own limits; booleans, integers,
/// choices, versions and instants are read here. A bad value is recorded and reads as nil, so one
/// pass finds every problem.
package protocol StrictFieldReader {
    /// The member `key`, recorded as known; nil when absent or null (a problem when `required`).
    mutating func member(_ key: String, required: Bool) -> StrictMember?
    mutating func problem(_ key: String, _ message: String)
    /// A string member under the reader's own limits (length, normalisation).
    mutating func string(_ key: String, required: Bool) -> String?
}

extension StrictFieldReader {
    package mutating func bool(_ key: String, required: Bool = false) -> Bool? {
        guard let member = member(key, required: required) else { return nil }
        guard case .bool(let bool) = member else {
            problem(key, "expected true or false")
            return nil
        }
        return bool
    }

    package mutating func int(_ key: String, in range: ClosedRange<Int>, required: Bool = false) -> Int? {
        guard let member = member(key, required: required) else { return nil }
        guard case .integer(let int) = member else {
            problem(key, "expected an integer")
            return nil
        }
        guard range.contains(int) else {
            problem(key, "\(int) is out of range; it must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return int
    }

    package mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type, required: Bool = false) -> T?
    where T.RawValue == String {
        guard let text = string(key, required: required) else { return nil }
        guard let value = T(rawValue: text) else {
            problem(key, "unknown value '\(text)'; expected one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }

    package mutating func version(_ key: String, required: Bool = false) -> Version? {
        guard let text = string(key, required: required) else { return nil }
        guard let version = Version(text) else {
            problem(key, "'\(text)' is not a version; expected dotted numbers such as 45.2.0")
            return nil
        }
        return version
    }

    package mutating func instant(_ key: String, required: Bool = false) -> Date? {
        guard let text = string(key, required: required) else { return nil }
        guard let date = Instant.parse(text) else {
            problem(key, "'\(text)' is not an instant; expected ISO-8601 with a zone, such as 2026-03-09T15:00:00Z")
            return nil
        }
        return date
    }
}
