/// An app version: dotted non-negative numbers, compared numerically (`1.10.0 > 1.9.3`).
public struct Version: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let components: [Int]

    /// Parses `45.2.0.1234`. Returns nil for anything that is not dotted decimal numbers.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 6 else { return nil }
        var components: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 9, part.allSatisfy(\.isASCII), let value = Int(part), value >= 0
            else { return nil }
            components.append(value)
        }
        self.components = components
    }

    public var description: String { components.map(String.init).joined(separator: ".") }

    /// A text key whose byte order is the numeric order, so SQL can compare versions with `<`
    /// and `MAX()` in set-based statements. Each component is zero-padded to 9 digits; missing
    /// trailing components count as zero (`1.2` sorts with `1.2.0`).
    public var sortKey: String {
        var padded = components
        while padded.count < 6 { padded.append(0) }
        return padded.map { String(repeating: "0", count: 9 - String($0).count) + String($0) }
            .joined(separator: ".")
    }

    public static func < (lhs: Version, rhs: Version) -> Bool { lhs.sortKey < rhs.sortKey }
    public static func == (lhs: Version, rhs: Version) -> Bool { lhs.sortKey == rhs.sortKey }
    public func hash(into hasher: inout Hasher) { hasher.combine(sortKey) }
}
