import Foundation
import RolloutCore

/// Typed reads of one JSON object's fields (`StrictFieldReader`). Each read records the key as
/// known; a bad value records a problem at `path.key` and reads as nil, so one pass finds every
/// problem.
struct Fields: StrictFieldReader {
    let object: [String: DocumentValue]
    let path: String
    private(set) var problems: [DocumentProblem] = []
    private var known: Set<String> = []

    init(object: [String: DocumentValue], path: String) {
        self.object = object
        self.path = path
    }

    mutating func problem(_ key: String, _ message: String) {
        problems.append(DocumentProblem(path: "\(path).\(key)", message: message))
    }

    mutating func consume(_ key: String) { known.insert(key) }

    /// The fields the object wrote, with a value or `null`: the ones an upsert changes (DMN-9).
    var given: Set<String> { Set(object.keys) }

    /// Every key not read is an error: a misspelt field must not be silently ignored.
    mutating func rejectUnknown() {
        for key in object.keys.sorted() where !known.contains(key) {
            problem(key, "unknown field; known fields here: \(known.sorted().joined(separator: ", "))")
        }
    }

    private mutating func raw(_ key: String, required: Bool) -> DocumentValue? {
        known.insert(key)
        guard let value = object[key], !value.isNull else {
            if required { problem(key, "required") }
            return nil
        }
        return value
    }

    mutating func member(_ key: String, required: Bool) -> StrictMember? {
        guard let value = raw(key, required: required) else { return nil }
        switch value {
        case .bool(let bool): return .bool(bool)
        case .number(let number): return Int(exactly: number).map(StrictMember.integer) ?? .other
        case .string(let string): return .string(string)
        case .null, .array, .object: return .other
        }
    }

    /// The longest string a document may give, in UTF-8 bytes: names and texts are copied into
    /// notifications, so a 10 MB name would be copied into every one of them (DMN-7).
    static let maximumBytes = 256

    /// A string in Unicode NFC, so that two spellings of `café` are one id in SQLite, which
    /// compares bytes, as they already are one in Swift, which compares characters. ASCII is NFC
    /// already: only other text goes through Foundation's normalisation (a document holds
    /// millions of strings).
    static func normalised(_ string: String) -> String {
        string.utf8.allSatisfy { $0 < 0x80 } ? string : string.precomposedStringWithCanonicalMapping
    }

    mutating func string(_ key: String, required: Bool = false) -> String? {
        guard let value = raw(key, required: required) else { return nil }
        guard case .string(let raw) = value else {
            problem(key, "expected a string")
            return nil
        }
        let string = Self.normalised(raw)
        guard string.utf8.count <= Self.maximumBytes else {
            problem(key, "\(string.utf8.count) bytes is too long: at most \(Self.maximumBytes) bytes of UTF-8")
            return nil
        }
        return string
    }

    mutating func required(_ key: String) -> String? { string(key, required: true) }

    /// Ids are non-empty strings of letters, digits and `-_.:@`, so they print safely everywhere;
    /// at most 128 bytes of UTF-8 in NFC (characters undercount: combining marks are free).
    mutating func id(_ key: String) -> String? {
        guard let id = string(key, required: true) else { return nil }
        guard Self.isID(id) else {
            problem(key, "'\(id)' is not a valid id (1–128 bytes of letters, digits or -_.:@, in NFC)")
            return nil
        }
        return id
    }

    static func isID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128 && text.unicodeScalars.allSatisfy(isIDScalar)
    }

    /// The allowed id characters; ASCII ones are decided without a CharacterSet lookup, since
    /// a document holds a million ids.
    private static let idCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.:@"))
    private static func isIDScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", ":", "@": true
        default: scalar.isASCII ? false : idCharacters.contains(scalar)
        }
    }

    mutating func strings(_ key: String) -> [String]? {
        guard let value = raw(key, required: false) else { return nil }
        guard case .array(let elements) = value else {
            problem(key, "expected an array of strings")
            return nil
        }
        var strings: [String] = []
        for element in elements {
            guard case .string(let string) = element else {
                problem(key, "expected an array of strings")
                return nil
            }
            strings.append(Self.normalised(string))
        }
        guard strings.count <= 64, strings.allSatisfy({ $0.utf8.count <= Self.maximumBytes }) else {
            problem(key, "too long: at most 64 strings of at most \(Self.maximumBytes) bytes each")
            return nil
        }
        return strings
    }

    /// `{"cadence": "latest", "defer_weeks": 2, "origin": "customer"}`; bounds per CAD-1.
    mutating func schedule(_ key: String) -> (Schedule, Actor?)? {
        guard let value = raw(key, required: false) else { return nil }
        guard case .object(let object) = value else {
            problem(key, "expected an object with cadence and defer_weeks")
            return nil
        }
        var fields = Fields(object: object, path: "\(path).\(key)")
        let cadence = fields.choice("cadence", Cadence.self, required: true)
        let weeks = fields.int("defer_weeks", in: 0...52)
        let origin = fields.choice("origin", Actor.self)
        fields.rejectUnknown()
        problems += fields.problems
        guard let cadence else { return nil }
        do {
            return (try Schedule(cadence: cadence, deferralWeeks: weeks), origin)
        } catch {
            problems.append(DocumentProblem(path: "\(path).\(key).defer_weeks", message: error.description))
            return nil
        }
    }
}

extension DocumentValue {
    var isNull: Bool {
        if case .null = self { true } else { false }
    }

    /// The value as a string, or nil when it is another kind of value.
    var string: String? {
        if case .string(let string) = self { string } else { nil }
    }

    /// The value as an object, or nil when it is another kind of value.
    var object: [String: DocumentValue]? {
        if case .object(let object) = self { object } else { nil }
    }
}
