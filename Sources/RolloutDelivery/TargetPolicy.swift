public import Foundation
public import RolloutCore
public import RolloutDaemon

/// Where webhooks may go (DLV-5): `https`, except loopback (a URL that names `localhost` or a
/// loopback address) and the operator's `allowed_hosts`; and only to public addresses, unless the
/// URL names loopback, the host is allowed, or the address is in `allowed_networks`. The check is
/// made on the addresses the name resolves to, and the deliverer connects to the address it
/// checked — a name that resolves to a public address for the check and a private one for the
/// connection gains nothing.
public struct TargetPolicy: Sendable {
    public let allowedHosts: Set<String>
    public let allowedNetworks: [IPNetwork]

    public init(_ configuration: Configuration.Delivery) {
        allowedHosts = Set(configuration.allowedHosts.map { $0.lowercased() })
        allowedNetworks = configuration.allowedNetworks.compactMap(IPNetwork.init)
    }

    /// A webhook URL taken apart, after the checks that need no resolution.
    public struct Target: Sendable, Equatable {
        public let url: URL
        /// Lower-case host, IPv6 without brackets.
        public let host: String
        public let namesLoopback: Bool
        public let allowed: Bool
    }

    /// Why a target is refused: said so the operator knows what to change.
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// The checks made when a webhook is registered and before every attempt: an absolute
    /// `https` URL (or `http` to loopback or an allowed host), with a host, no credentials.
    public func check(url text: String) throws(Refusal) -> Target {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), var host = url.host?.lowercased(), !host.isEmpty else {
            throw Refusal(description: "'\(text)' is not an absolute URL with a host, such as https://hooks.example.com/rolloutd")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard url.user == nil, url.password == nil else {
            throw Refusal(description: "'\(text)' carries credentials; the signature authenticates rolloutd, leave them out")
        }
        let literal = IPAddress(host)
        let namesLoopback = host == "localhost" || host.hasSuffix(".localhost") || literal?.category == .loopback
        let allowed = allowedHosts.contains(host)
        switch scheme {
        case "https": break
        case "http" where namesLoopback || allowed: break
        case "http":
            throw Refusal(description: "'\(text)' is http: webhooks must use https, except to loopback or a host in [delivery] allowed_hosts (DLV-5)")
        default:
            throw Refusal(description: "'\(text)' has scheme '\(scheme)'; webhooks use https (DLV-5)")
        }
        let target = Target(url: url, host: host, namesLoopback: namesLoopback, allowed: allowed)
        if let literal { try check(address: literal, for: target) }
        return target
    }

    /// May the deliverer connect to `address` for `target`?
    public func check(address: IPAddress, for target: Target) throws(Refusal) {
        if target.allowed || allowedNetworks.contains(where: { $0.contains(address) }) { return }
        switch address.category {
        case .public: return
        case .loopback where target.namesLoopback: return
        case let category:
            throw Refusal(description: "\(target.host) resolves to \(address), a \(category.rawValue) address; refused unless the host is in "
                          + "[delivery] allowed_hosts or the address in allowed_networks (DLV-5)")
        }
    }

    /// Resolves the target's host and returns the first address that may be connected to.
    /// getaddrinfo blocks, so it runs on a queue of its own, never on the concurrency pool.
    public func resolve(_ target: Target) async throws(Refusal) -> IPAddress {
        if let literal = IPAddress(target.host) { return literal }
        let host = target.host
        let result: Result<[IPAddress], Refusal> = await withCheckedContinuation { continuation in
            Self.resolverQueue.async { continuation.resume(returning: Self.addresses(of: host)) }
        }
        let addresses = try result.get()
        var firstRefusal: Refusal?
        for address in addresses {
            do {
                try check(address: address, for: target)
                return address
            } catch {
                firstRefusal = firstRefusal ?? error
            }
        }
        throw firstRefusal ?? Refusal(description: "\(host) resolves to no address")
    }

    private static let resolverQueue = DispatchQueue(label: "rolloutd.deliver.resolver", attributes: .concurrent)

    private static func addresses(of host: String) -> Result<[IPAddress], Refusal> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            return .failure(Refusal(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var node = list
        while let info = node?.pointee {
            if info.ai_family == AF_INET, let raw = info.ai_addr {
                var v4 = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                addresses += [IPAddress(bytes: withUnsafeBytes(of: &v4) { Array($0) })].compactMap { $0 }
            } else if info.ai_family == AF_INET6, let raw = info.ai_addr {
                var v6 = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                addresses += [IPAddress(bytes: withUnsafeBytes(of: &v6) { Array($0) })].compactMap { $0 }
            }
            node = info.ai_next
        }
        return .success(addresses)
    }
}
