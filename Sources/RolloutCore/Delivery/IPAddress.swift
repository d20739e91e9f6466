import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address, as the deliverer checks it before connecting (DLV-5).
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    public let bytes: [UInt8]

    /// What kind of destination an address is. Anything but `public` is refused as a webhook
    /// target unless the operator allows it (loopback is allowed when the URL names it).
    public enum Category: String, Sendable {
        case loopback
        /// RFC 1918, shared address space (RFC 6598), unique-local and site-local IPv6.
        case privateUse = "private"
        case linkLocal = "link-local"
        /// Cloud instance metadata services (169.254.169.254, fd00:ec2::254, 100.100.100.200).
        case metadata
        /// 0.0.0.0/8 and `::`: "this host", which Linux connects to as loopback.
        case unspecified
        case multicast
        /// Documentation, benchmarking, IETF and future-use ranges, and broadcast.
        case reserved
        case `public`
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses `192.0.2.1`, `2001:db8::1` or `[2001:db8::1]`.
    public init?(_ text: String) {
        var text = text
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// The IPv4 address an IPv6 address embeds (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`),
    /// which is where a connection to it really goes.
    public var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        let nat64 = bytes[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]
        return mapped || nat64 ? IPAddress(bytes: Array(bytes[12..<16])) : nil
    }

    public var category: Category {
        if let v4 = embeddedIPv4 { return v4.category }
        return isIPv4 ? Self.categoryV4(bytes) : Self.categoryV6(bytes)
    }

    private static func categoryV4(_ b: [UInt8]) -> Category {
        switch (b[0], b[1], b[2], b[3]) {
        case (169, 254, 169, 254), (100, 100, 100, 200): .metadata
        case (0, _, _, _): .unspecified
        case (127, _, _, _): .loopback
        case (10, _, _, _), (172, 16...31, _, _), (192, 168, _, _), (100, 64...127, _, _): .privateUse
        case (169, 254, _, _): .linkLocal
        case (224...239, _, _, _): .multicast
        case (192, 0, 0, _), (192, 0, 2, _), (198, 18...19, _, _), (198, 51, 100, _), (203, 0, 113, _), (240...255, _, _, _): .reserved
        default: .public
        }
    }

    private static func categoryV6(_ b: [UInt8]) -> Category {
        if b == [0xfd, 0x00, 0x0e, 0xc2] + Array(repeating: 0, count: 10) + [0x02, 0x54] { return .metadata }
        if b.dropLast().allSatisfy({ $0 == 0 }) { return b[15] == 1 ? .loopback : (b[15] == 0 ? .unspecified : .reserved) }
        if b[0] == 0xff { return .multicast }
        if b[0] == 0xfe, b[1] & 0xc0 == 0x80 { return .linkLocal }
        if b[0] & 0xfe == 0xfc || (b[0] == 0xfe && b[1] & 0xc0 == 0xc0) { return .privateUse }
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0d, b[3] == 0xb8 { return .reserved }
        return .public
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        let text = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard text != nil else { return bytes.map(String.init).joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A network in CIDR form (`10.20.0.0/16`, `fd00:1::/64`): the operator's allow-list (DLV-5).
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let base: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let base = IPAddress(String(parts[0])), let length = Int(parts[1]),
              (0...(base.bytes.count * 8)).contains(length) else { return nil }
        self.base = base
        prefixLength = length
    }

    public func contains(_ address: IPAddress) -> Bool {
        let address = address.bytes.count == base.bytes.count ? address : (address.embeddedIPv4 ?? address)
        guard address.bytes.count == base.bytes.count else { return false }
        var remaining = prefixLength
        for (a, b) in zip(address.bytes, base.bytes) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(base)/\(prefixLength)" }
}
