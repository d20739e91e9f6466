import Foundation
import RolloutDaemon
import Testing

/// `[api]` in rolloutd.toml: strict like every table (DMN-7).
@Suite struct APIConfigurationTests {
    @Test func listenAndLimitsAreRead() throws {
        let configuration = try Configuration.parse("""
            [api]
            listen = "[::1]:9443"
            inbox = "/srv/inbox.sqlite"
            max_body_bytes = 2048
            request_timeout_seconds = 3
            check_in_interval_seconds = 600
            """, file: "t.toml")
        #expect(configuration.api.host == "::1")
        #expect(configuration.api.port == 9443)
        #expect(configuration.api.resolvedInboxPath(databasePath: "/var/lib/rolloutd/rolloutd.sqlite") == "/srv/inbox.sqlite")
        #expect(configuration.api.maxBodyBytes == 2048)
        #expect(configuration.api.requestTimeoutSeconds == 3)
        #expect(configuration.api.checkInIntervalSeconds == 600)
        #expect(Configuration().api.resolvedInboxPath(databasePath: "/var/lib/rolloutd/rolloutd.sqlite")
                == "/var/lib/rolloutd/rolloutd-inbox.sqlite")
    }

    @Test(arguments: [
        ("listen = \"127.0.0.1\"", "api.listen"), ("listen = \"127.0.0.1:0\"", "api.listen"), ("listen = \":8480\"", "api.listen"),
        ("listen = 8480", "api.listen"), ("max_body_bytes = 10", "api.max_body_bytes"), ("colour = \"blue\"", "api.colour"),
        ("request_timeout_seconds = 0", "api.request_timeout_seconds"), ("inbox = \"\"", "api.inbox"),
    ])
    func invalidValuesNameTheirKey(line: String, key: String) {
        #expect {
            _ = try Configuration.parse("[api]\n\(line)\n", file: "t.toml")
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }
}
