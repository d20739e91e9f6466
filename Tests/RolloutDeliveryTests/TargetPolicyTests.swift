import RolloutCore
import RolloutDaemon
@testable import RolloutDelivery
import Testing

/// DLV-5: https only except loopback and allowed hosts; private, link-local and metadata
/// addresses refused unless allowed.
@Suite struct TargetPolicyTests {
    static func policy(hosts: [String] = [], networks: [String] = []) -> TargetPolicy {
        var settings = Configuration.Delivery()
        settings.allowedHosts = hosts
        settings.allowedNetworks = networks
        return TargetPolicy(settings)
    }

    @Test(arguments: [
        ("127.0.0.1", IPAddress.Category.loopback), ("::1", .loopback), ("10.1.2.3", .privateUse), ("172.31.0.1", .privateUse),
        ("192.168.0.1", .privateUse), ("100.64.0.1", .privateUse), ("169.254.169.254", .metadata), ("fd00:ec2::254", .metadata),
        ("100.100.100.200", .metadata), ("169.254.1.1", .linkLocal), ("fe80::1", .linkLocal), ("fd12::1", .privateUse),
        ("0.0.0.0", .unspecified), ("::", .unspecified), ("224.0.0.1", .multicast), ("255.255.255.255", .reserved),
        ("::ffff:10.0.0.1", .privateUse), ("::ffff:127.0.0.1", .loopback), ("64:ff9b::a9fe:a9fe", .metadata),
        ("8.8.8.8", .public), ("2606:4700::1111", .public), ("172.32.0.1", .public),
    ])
    func categories(address: String, category: IPAddress.Category) throws {
        #expect(try #require(IPAddress(address)).category == category)
    }

    @Test func networksMatchByPrefix() throws {
        let network = try #require(IPNetwork("10.20.0.0/16"))
        #expect(network.contains(try #require(IPAddress("10.20.255.1"))))
        #expect(!network.contains(try #require(IPAddress("10.21.0.1"))))
        #expect(network.contains(try #require(IPAddress("::ffff:10.20.0.9"))))
        #expect(try #require(IPNetwork("fd00:1::/64")).contains(try #require(IPAddress("fd00:1::5"))))
        #expect(IPNetwork("10.0.0.0/33") == nil && IPNetwork("10.0.0.0") == nil && IPNetwork("nope/8") == nil)
    }

    @Test func httpsToAPublicNameIsAccepted() throws {
        let target = try Self.policy().check(url: "https://hooks.example.com/rolloutd")
        #expect(target.host == "hooks.example.com" && !target.namesLoopback)
    }

    @Test func httpIsOnlyForLoopbackAndAllowedHosts() throws {
        #expect(throws: TargetPolicy.Refusal.self) { try Self.policy().check(url: "http://hooks.example.com/") }
        _ = try Self.policy().check(url: "http://127.0.0.1:8080/hook")
        _ = try Self.policy().check(url: "http://localhost:8080/hook")
        _ = try Self.policy().check(url: "http://[::1]:8080/hook")
        _ = try Self.policy(hosts: ["relay.internal"]).check(url: "http://relay.internal/hook")
        #expect(throws: TargetPolicy.Refusal.self) { try Self.policy().check(url: "ftp://hooks.example.com/") }
        #expect(throws: TargetPolicy.Refusal.self) { try Self.policy().check(url: "https://user:pw@hooks.example.com/") }
        #expect(throws: TargetPolicy.Refusal.self) { try Self.policy().check(url: "hooks.example.com/x") }
    }

    @Test func privateLinkLocalAndMetadataLiteralsAreRefused() throws {
        for url in ["https://10.0.0.5/", "https://169.254.169.254/latest/meta-data", "https://[fe80::1]/", "https://[fd00:ec2::254]/",
                    "https://0.0.0.0/", "https://[::ffff:192.168.1.1]/"] {
            #expect(throws: TargetPolicy.Refusal.self, "\(url)") { try Self.policy().check(url: url) }
        }
        _ = try Self.policy(hosts: ["10.0.0.5"]).check(url: "https://10.0.0.5/")
        _ = try Self.policy(networks: ["10.0.0.0/8"]).check(url: "https://10.0.0.5/")
    }

    /// The address a name resolves to is what counts: a public name pointing at loopback or a
    /// private address is refused, unless the host or the network is allowed.
    @Test func resolvedAddressesAreChecked() throws {
        let policy = Self.policy()
        let target = try policy.check(url: "https://rebind.example.com/")
        #expect(throws: TargetPolicy.Refusal.self) { try policy.check(address: #require(IPAddress("127.0.0.1")), for: target) }
        #expect(throws: TargetPolicy.Refusal.self) { try policy.check(address: #require(IPAddress("192.168.1.9")), for: target) }
        try policy.check(address: #require(IPAddress("93.184.215.14")), for: target)
        let allowed = Self.policy(networks: ["192.168.1.0/24"])
        try allowed.check(address: #require(IPAddress("192.168.1.9")), for: try allowed.check(url: "https://rebind.example.com/"))
    }

    @Test func localhostResolvesToLoopbackAndIsAllowed() async throws {
        let policy = Self.policy()
        let address = try await policy.resolve(try policy.check(url: "http://localhost:9/"))
        #expect(address.category == .loopback)
    }
}
