import Foundation
import GRDB
import RolloutStore
import RolloutEngine
import Testing

/// API-1 tokens in the store: the secret exists once, the database holds its SHA-256, expiry and
/// revocation end it, and the scope must name what exists.
@Suite struct TokenTests {
    static func store() throws -> (Store, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rolloutd-token-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try Store(path: directory.appendingPathComponent("db.sqlite").path)
        _ = try store.apply(try APIHarness.sampleState(), at: APIHarness.start)
        return (store, directory)
    }

    @Test func onlyTheHashIsStoredAndTheSecretAuthenticates() throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = APIHarness.start
        let created = try store.createToken(name: "console", role: .partner, partner: "northwind", organisation: nil, distributor: nil,
                                            expiresAt: now.addingTimeInterval(3_600), at: now)
        #expect(created.secret.hasPrefix("rlt_\(created.token.id)_"))
        #expect(created.secret.count == 4 + 12 + 1 + 43)
        let stored = try store.read { db in try Row.fetchOne(db, sql: "SELECT * FROM api_token")! }
        let secretPart = String(created.secret.dropFirst(17))
        let columns = stored.databaseValues.map(\.description).joined(separator: " ")
        #expect(!columns.contains(secretPart), "the secret itself is not stored")
        #expect((stored["secret_sha256"] as Data).count == 32)
        #expect(try store.authenticate(bearer: created.secret, at: now)?.id == created.token.id)
        #expect(try store.authenticate(bearer: created.secret, at: now.addingTimeInterval(3_600)) == nil, "expired")
        var wrong = created.secret
        wrong.removeLast()
        #expect(try store.authenticate(bearer: wrong + (created.secret.last == "A" ? "B" : "A"), at: now) == nil)
        #expect(try store.authenticate(bearer: "rlt_", at: now) == nil)
        #expect(try store.tokens().map(\.name) == ["console"])
        _ = try store.revokeToken(id: created.token.id, at: now)
        #expect(try store.authenticate(bearer: created.secret, at: now) == nil, "revoked")
        #expect(try store.tokens().first?.revokedAt == now)
    }

    @Test func scopesMustMatchTheRoleAndExist() throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = APIHarness.start
        let refusals: [(TokenRole, String?, String?, String?, Date?)] = [
            (.partner, nil, nil, nil, nil),
            (.partner, "no-such-partner", nil, nil, nil),
            (.customer, "northwind", "contoso", nil, nil),
            (.agent, nil, "no-such-org", nil, nil),
            (.distributor, nil, nil, nil, nil),
            (.partner, "northwind", nil, nil, now),
        ]
        for (role, partner, organisation, distributor, expires) in refusals {
            #expect(throws: StoreError.self, "\(role) \(partner ?? "-") \(organisation ?? "-")") {
                try store.createToken(name: "t", role: role, partner: partner, organisation: organisation, distributor: distributor,
                                      expiresAt: expires, at: now)
            }
        }
        #expect(try store.tokens().isEmpty)
        #expect(throws: StoreError.self) { try store.revokeToken(id: "000000000000", at: now) }
    }
}
