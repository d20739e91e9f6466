import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// NOT-1 in the database itself, NOT-2 languages, on the programme's notifications.
@Suite("UPG notifications: unique keys in SQLite (NOT-1), en and fr texts (NOT-2)")
struct UpgradeProgrammeNotificationTests {
    /// Two partners with the same programme, one `en`, one `fr`, each with one customer whose
    /// order fails on the day the window opens.
    static func bilingual() async throws -> UpgradeScenario {
        var d = UpgradeDocument()
        d.partner("anglo", name: "Anglo MSP", billingDay: 5)
        d.partner("franco", name: "Franco Infogérance", locale: "fr", billingDay: 5)
        d.organisation("acme-en", name: "Acme EN", partners: ["anglo"])
        d.endpoint("acme-en-pc1", organisation: "acme-en")
        d.organisation("acme-fr", name: "Acme FR", partners: ["franco"])
        d.endpoint("acme-fr-pc1", organisation: "acme-fr")
        let s = try UpgradeScenario(start: "2026-09-01T00:00:00Z", d)
        for partner in ["anglo", "franco"] {
            try s.programme(partner: partner, announce: "2026-09-04T18:30:00Z", window: "2026-09-14T15:00:00Z",
                            auto: "2026-10-01T15:00:00Z", at: "2026-09-01T00:00:00Z")
        }
        try await s.run(until: "2026-09-14T16:00:00Z")
        try s.requestUpgrade(partner: "anglo", nil, at: "2026-09-14T16:00:00Z")
        try s.requestUpgrade(partner: "franco", nil, at: "2026-09-14T16:00:00Z")
        try await s.run(until: "2026-09-14T17:00:00Z")
        try s.answer("acme-en", processed: false, reason: "credit limit", at: "2026-09-14T17:00:00Z")
        try s.answer("acme-fr", processed: false, reason: "plafond de crédit", at: "2026-09-14T17:00:00Z")
        try await s.run(until: "2026-09-15T00:00:00Z")
        return s
    }

    @Test("a duplicate idempotency key inserted with plain SQL, from any connection, violates the UNIQUE constraint")
    func uniqueKeyInTheDatabase() async throws {
        let s = try await Self.bilingual()
        let total = try s.count("SELECT count(*) FROM notification")
        #expect(total > 0)

        // Through the store's own connection, copying an existing row.
        let copy = #expect(throws: DatabaseError.self) {
            try s.store.write { db in
                try db.execute(sql: """
                    INSERT INTO notification (idempotency_key, kind, audience, partner_id, locale, due_at, emitted_at, late, subject, body)
                    SELECT idempotency_key, kind, audience, partner_id, locale, due_at, emitted_at, late, subject, body
                    FROM notification WHERE kind = 'programme_announced' AND partner_id = 'franco'
                    """)
            }
        }
        #expect(copy?.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE)
        #expect(copy?.message?.contains("UNIQUE constraint failed: notification.idempotency_key") == true, "\(String(describing: copy))")

        // Through a bare SQLite connection that knows nothing of the product: the key of the
        // announcement to franco, written out by hand, with other text and another due instant.
        let key = IdempotencyKey(kind: .programmeAnnounced, subject: "partner:franco",
                                 occurrence: IdempotencyKey.occurrence(at("2026-09-04T18:30:00Z"))).canonical
        #expect(try s.count("SELECT count(*) FROM notification WHERE idempotency_key = ?", [key]) == 1)
        let bare = try DatabaseQueue(path: s.store.path)
        let raw = #expect(throws: DatabaseError.self) {
            try bare.write { db in
                try db.execute(sql: """
                    INSERT INTO notification (idempotency_key, kind, audience, partner_id, locale, due_at, emitted_at, late, subject, body)
                    VALUES (?, 'programme_announced', 'partner_admins', 'franco', 'fr', 0, 0, 1, 'doublon', 'doublon')
                    """, arguments: [key])
            }
        }
        #expect(raw?.resultCode == .SQLITE_CONSTRAINT)
        #expect(raw?.message?.contains("UNIQUE constraint failed: notification.idempotency_key") == true)
        try bare.close()

        // The constraint is in the schema: a unique index on exactly that column.
        let unique = try s.store.read { db in
            try Row.fetchAll(db, sql: "SELECT name FROM pragma_index_list('notification') WHERE \"unique\" = 1").compactMap { row -> [String]? in
                let name: String = row["name"]
                return try String.fetchAll(db, sql: "SELECT name FROM pragma_index_info(?)", arguments: [name])
            }
        }
        #expect(unique.contains(["idempotency_key"]))
        #expect(try s.count("SELECT count(*) FROM notification") == total)
    }

    @Test("a fr partner's notifications are in French, an en partner's in English, with dates spelled in each")
    func languages() async throws {
        let s = try await Self.bilingual()
        func one(_ kind: NotificationKind, partner: String) throws -> UpgradeScenario.Notice {
            let found = try s.notices(kind, partner: partner)
            #expect(found.count == 1, "\(kind.rawValue) for \(partner): \(found)")
            return try #require(found.first)
        }
        let announcedEN = try one(.programmeAnnounced, partner: "anglo")
        let announcedFR = try one(.programmeAnnounced, partner: "franco")
        #expect(announcedEN.locale == "en" && announcedFR.locale == "fr")
        #expect(announcedEN.subject == "Upgrade to the cloud generation: your upgrade window opens on Monday 14 September 2026, 08:00 PDT")
        #expect(announcedFR.subject
                == "Mise à niveau vers la génération cloud : votre fenêtre de mise à niveau s'ouvre le lundi 14 septembre 2026, 08:00 PDT")
        #expect(announcedFR.body.hasPrefix("Franco Infogérance, la fenêtre de mise à niveau de vos clients sur l'ancienne génération"))

        let customerFR = try one(.customerProgrammeAnnounced, partner: "franco")
        #expect(customerFR.body.contains("Franco Infogérance, votre partenaire de services gérés, va mettre à niveau Acme FR"))
        #expect(customerFR.body.contains("Vos identifiants restent les mêmes"))
        let customerEN = try one(.customerProgrammeAnnounced, partner: "anglo")
        #expect(customerEN.body.contains("Anglo MSP, your managed service provider, will upgrade Acme EN"))

        let windowFR = try one(.windowOpen, partner: "franco")
        #expect(windowFR.subject == "Votre fenêtre de mise à niveau est ouverte")
        #expect(windowFR.body.contains("« Mettre à niveau maintenant »"))
        #expect(windowFR.body.contains("prêts le jeudi 1er octobre 2026, 08:00 PDT"))
        #expect(try one(.windowOpen, partner: "anglo").body.contains("ready on Thursday 1 October 2026, 08:00 PDT"))

        let monthlyFR = try one(.monthlyLegacyDeclaration, partner: "franco")
        #expect(monthlyFR.subject == "Déclaration mensuelle de l'ancienne génération à remettre")
        #expect(monthlyFR.body.contains("à remettre le samedi 5 septembre 2026, 08:00 PDT"))
        #expect(try one(.monthlyLegacyDeclaration, partner: "anglo").body.contains("is due on Saturday 5 September 2026, 08:00 PDT"))

        let failedFR = try one(.orderFailed, partner: "franco")
        #expect(failedFR.subject.hasPrefix("Échec de la commande de mise à niveau #"))
        #expect(failedFR.body.contains("pour Acme FR : plafond de crédit"))
        #expect(failedFR.body.contains("reste sur l'ancienne génération"))
        let failedEN = try one(.orderFailed, partner: "anglo")
        #expect(failedEN.subject.hasPrefix("Upgrade order #") && failedEN.subject.hasSuffix(" for Acme EN failed"))

        let placedFR = try one(.orderPlaced, partner: "franco")
        #expect(placedFR.body.contains("sont suspendues jusqu'à sa réponse"))
        #expect(placedFR.body.contains("d'ici le mardi 15 septembre 2026, 09:00 PDT"))

        // Every French text is French, every English one English, and no placeholder is left.
        let all = try s.notices(nil)
        #expect(all.filter { $0.partner == "franco" }.allSatisfy { $0.locale == "fr" && !$0.body.contains(" the ") && !$0.body.contains(" your ") })
        #expect(all.filter { $0.partner == "anglo" }.allSatisfy { $0.locale == "en" && !$0.body.contains(" le ") && !$0.body.contains(" vos ") })
        #expect(all.allSatisfy { !$0.subject.contains("{") && !$0.body.contains("{") })
    }
}
