import Foundation

/// One JSON value of a state document element: small trees, one element at a time. The whole
/// document is never held: `JSONStream` reads it in chunks and hands over one element of a
/// top-level array at a time, so memory stays proportional to the largest element.
enum DocumentValue {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([DocumentValue])
    case object([String: DocumentValue])
}

/// Malformed JSON, with where reading stopped: the line and column an editor shows (the column
/// counts bytes), and the byte offset.
struct JSONSyntaxError: Error, CustomStringConvertible {
    let offset: Int
    let line: Int
    let column: Int
    let reason: String
    var description: String { "line \(line), column \(column): \(reason) (byte \(offset))" }
}

/// A pull reader over UTF-8 JSON from a file descriptor or from memory (RFC 8259: no comments,
/// no trailing commas, strings must be valid UTF-8 without raw control characters).
final class JSONStream {
    private var buffer: [UInt8]
    private var position = 0
    private var end: Int
    /// Bytes consumed before the current buffer, for error offsets.
    private var consumed = 0
    /// The line being read and the offset where it starts, for error positions. Only whitespace
    /// can hold a newline in valid JSON, so only the whitespace skipper counts them.
    private var line = 1
    private var lineStart = 0
    private let descriptor: Int32?
    private static let chunk = 1 << 20
    /// Deeper nesting than any document element needs is refused rather than recursed into.
    private static let maximumDepth = 64

    /// Reads `data` (already in memory).
    init(data: Data) {
        buffer = [UInt8](data)
        end = buffer.count
        descriptor = nil
    }

    /// Reads the open file `descriptor` in 1 MiB chunks; the caller closes it.
    init(descriptor: Int32) {
        buffer = [UInt8](repeating: 0, count: Self.chunk)
        end = 0
        self.descriptor = descriptor
    }

    // MARK: Bytes

    private func refill() throws -> Bool {
        guard let descriptor else { return false }
        consumed += end
        position = 0
        end = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, Self.chunk) }
            if count >= 0 {
                end = count
                return count > 0
            }
            if errno != EINTR { throw JSONSyntaxError(offset: consumed, line: line, column: consumed - lineStart + 1, reason: "cannot read: \(String(cString: strerror(errno)))") }
        }
    }

    @inline(__always) private func peek() throws -> UInt8? {
        if position < end { return buffer[position] }
        return try refill() ? buffer[position] : nil
    }

    @inline(__always) private func next() throws -> UInt8 {
        guard let byte = try peek() else { throw error("unexpected end of the document") }
        position += 1
        return byte
    }

    private func error(_ reason: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: consumed + position, line: line, column: consumed + position - lineStart + 1, reason: reason)
    }

    private func skipWhitespace() throws {
        while let byte = try peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
            if byte == 0x0A {
                line += 1
                lineStart = consumed + position
            }
        }
    }

    private func expect(_ byte: UInt8) throws {
        try skipWhitespace()
        guard try next() == byte else { throw error("expected '\(Character(UnicodeScalar(byte)))'") }
    }

    // MARK: The document's shape

    /// True when the document starts with an object; false when it holds another JSON value
    /// (which is read and checked for syntax).
    func beginObject() throws -> Bool {
        try skipWhitespace()
        if try peek() == UInt8(ascii: "{") {
            position += 1
            return true
        }
        _ = try value(depth: 0)
        try finish()
        return false
    }

    /// The next key of the top-level object, or nil at its end.
    func nextKey(first: Bool) throws -> String? {
        try skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            position += 1
            return nil
        }
        if !first { try expect(UInt8(ascii: ",")) }
        try skipWhitespace()
        guard try next() == UInt8(ascii: "\"") else { throw error("expected a key") }
        let key = try string()
        try expect(UInt8(ascii: ":"))
        return key
    }

    /// True when the value after a key is an array (its `[` is read); otherwise nothing is read.
    func beginArray() throws -> Bool {
        try skipWhitespace()
        guard try peek() == UInt8(ascii: "[") else { return false }
        position += 1
        return true
    }

    /// The next element of the array begun, or nil at its end.
    func nextElement(first: Bool) throws -> DocumentValue? {
        try skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            position += 1
            return nil
        }
        if !first { try expect(UInt8(ascii: ",")) }
        return try value(depth: 1)
    }

    /// Reads a whole value (a top-level value that is not an array of elements).
    func wholeValue() throws -> DocumentValue { try value(depth: 1) }

    /// Only whitespace may follow the document.
    func finish() throws {
        try skipWhitespace()
        if try peek() != nil { throw error("unexpected text after the document") }
    }

    // MARK: Values

    private func value(depth: Int) throws -> DocumentValue {
        guard depth < Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
        try skipWhitespace()
        let byte = try next()
        switch byte {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"):
            var object: [String: DocumentValue] = [:]
            try skipWhitespace()
            if try peek() == UInt8(ascii: "}") {
                position += 1
                return .object(object)
            }
            repeat {
                try skipWhitespace()
                guard try next() == UInt8(ascii: "\"") else { throw error("expected a key") }
                let key = try string()
                try expect(UInt8(ascii: ":"))
                object[key] = try value(depth: depth + 1)
                try skipWhitespace()
                let separator = try next()
                if separator == UInt8(ascii: "}") { return .object(object) }
                guard separator == UInt8(ascii: ",") else { throw error("expected ',' or '}'") }
            } while true
        case UInt8(ascii: "["):
            var array: [DocumentValue] = []
            try skipWhitespace()
            if try peek() == UInt8(ascii: "]") {
                position += 1
                return .array(array)
            }
            repeat {
                array.append(try value(depth: depth + 1))
                try skipWhitespace()
                let separator = try next()
                if separator == UInt8(ascii: "]") { return .array(array) }
                guard separator == UInt8(ascii: ",") else { throw error("expected ',' or ']'") }
            } while true
        case UInt8(ascii: "t"): try literal("rue"); return .bool(true)
        case UInt8(ascii: "f"): try literal("alse"); return .bool(false)
        case UInt8(ascii: "n"): try literal("ull"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number(first: byte))
        default: throw error("unexpected character")
        }
    }

    private func literal(_ rest: StaticString) throws {
        for expected in UnsafeBufferPointer(start: rest.utf8Start, count: rest.utf8CodeUnitCount) {
            guard try next() == expected else { throw error("invalid literal") }
        }
    }

    private func number(first: UInt8) throws -> Double {
        var text: [UInt8] = [first]
        func digits() throws -> Int {
            var count = 0
            while let byte = try peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                text.append(byte)
                position += 1
                count += 1
            }
            return count
        }
        if first == UInt8(ascii: "-") {
            guard let byte = try peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { throw error("invalid number") }
            text.append(byte)
            position += 1
        }
        // RFC 8259: no leading zeros.
        if text.last == UInt8(ascii: "0") {
            if let byte = try peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { throw error("invalid number") }
        } else {
            _ = try digits()
        }
        if try peek() == UInt8(ascii: ".") {
            text.append(UInt8(ascii: "."))
            position += 1
            guard try digits() > 0 else { throw error("invalid number") }
        }
        if let byte = try peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            text.append(byte)
            position += 1
            if let sign = try peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                text.append(sign)
                position += 1
            }
            guard try digits() > 0 else { throw error("invalid number") }
        }
        guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { throw error("invalid number") }
        return value
    }

    /// The rest of a string whose opening quote was read.
    private func string() throws -> String {
        var bytes: [UInt8] = []
        // The fast path: a run of plain bytes within the buffer, copied at once.
        while true {
            var run = position
            while run < end {
                let byte = buffer[run]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                run += 1
            }
            bytes.append(contentsOf: buffer[position..<run])
            position = run
            let byte = try next()
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: bytes, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                try escape(into: &bytes)
            case 0..<0x20:
                throw error("a control character inside a string")
            default:
                bytes.append(byte)
            }
        }
    }

    private func escape(into bytes: inout [UInt8]) throws {
        let byte = try next()
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(byte)
        case UInt8(ascii: "b"): bytes.append(0x08)
        case UInt8(ascii: "f"): bytes.append(0x0C)
        case UInt8(ascii: "n"): bytes.append(0x0A)
        case UInt8(ascii: "r"): bytes.append(0x0D)
        case UInt8(ascii: "t"): bytes.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard try next() == UInt8(ascii: "\\"), try next() == UInt8(ascii: "u") else { throw error("an unpaired surrogate") }
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("an unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("an unpaired surrogate") }
            bytes.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw error("an invalid escape")
        }
    }

    private func hex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = try next()
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("an invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
