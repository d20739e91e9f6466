import Foundation
import RolloutCore
import Testing

@Suite("NOT-2 notification kinds and texts")
struct NotificationTemplateTests {
    static func tokens(_ text: String) -> Set<String> {
        var found: Set<String> = []
        var rest = text[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            found.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return found
    }

    static func sampleValues(_ kind: NotificationKind) -> [String: String] {
        Dictionary(uniqueKeysWithValues: kind.placeholders.map { ($0.rawValue, "<\($0.rawValue)>") })
    }

    @Test("the kinds the programme needs exist, with their database spelling")
    func kinds() {
        let required = [
            "schedule_change_applied", "update_available", "programme_announced", "customer_programme_announced", "window_open",
            "order_placed", "order_unanswered", "order_processed", "order_failed", "upgrade_held", "endpoint_upgrade_available",
            "endpoint_upgrade_reminder", "endpoint_installing", "endpoint_restart_required", "endpoint_upgraded",
            "endpoint_upgrade_failed", "first_cloud_bill_due", "monthly_legacy_declaration", "final_legacy_declaration",
            // Operator controls (OPS-1, OPS-3).
            "rollout_paused", "rollout_resumed", "programme_auto_paused",
        ]
        #expect(Set(NotificationKind.allCases.map(\.rawValue)) == Set(required))
    }

    @Test("audiences: end users hear about their device, customers about their organisation, partners about the rest")
    func audiences() {
        #expect(NotificationKind.allCases.filter { $0.audiences.contains(.endUser) } == [
            .endpointUpgradeAvailable, .endpointUpgradeReminder, .endpointInstalling, .endpointRestartRequired, .endpointUpgraded,
        ])
        #expect(NotificationKind.scheduleChangeApplied.audiences == [.customerAdmins, .partnerAdmins])
        #expect(NotificationKind.customerProgrammeAnnounced.audiences == [.customerAdmins])
        #expect(NotificationKind.programmeAnnounced.audiences == [.partnerAdmins])
        #expect(NotificationKind.orderUnanswered.audiences == [.partnerAdmins])
        #expect(NotificationKind.allCases.allSatisfy { !$0.audiences.isEmpty })
    }

    @Test("each template uses exactly its kind's documented placeholders, in both languages")
    func placeholdersMatch() {
        for kind in NotificationKind.allCases {
            for language in Language.allCases {
                let template = NotificationTemplates.template(kind, language)
                #expect(Self.tokens(template.subject + " " + template.body) == Set(kind.placeholders.map(\.rawValue)),
                        "\(kind.rawValue) \(language.rawValue)")
                #expect(kind.placeholders.allSatisfy { (template.subject + template.body).contains($0.token) })
            }
        }
    }

    @Test("every kind renders in en and fr with no leftover token when given its placeholders")
    func renderComplete() {
        for kind in NotificationKind.allCases {
            for language in Language.allCases {
                let (subject, body) = NotificationTemplates.render(kind, language, values: Self.sampleValues(kind))
                #expect(!subject.isEmpty && !body.isEmpty)
                #expect(!(subject + body).contains("{") && !(subject + body).contains("}"), "\(kind.rawValue) \(language.rawValue)")
                for placeholder in kind.placeholders {
                    #expect((subject + body).contains("<\(placeholder.rawValue)>"), "\(kind.rawValue) \(language.rawValue) \(placeholder)")
                }
            }
        }
    }

    @Test("English and French texts differ for every kind, and the raw templates are all listed")
    func bothLanguages() {
        for kind in NotificationKind.allCases {
            #expect(NotificationTemplates.template(kind, .en) != NotificationTemplates.template(kind, .fr))
        }
        #expect(NotificationTemplates.all.count == NotificationKind.allCases.count * Language.allCases.count)
        #expect(NotificationTemplates.all.allSatisfy { NotificationTemplates.template($0.kind, $0.language) == $0.template })
    }

    @Test("French uses the MSP vocabulary with its accents")
    func frenchVocabulary() {
        func french(_ kind: NotificationKind) -> String {
            let template = NotificationTemplates.template(kind, .fr)
            return template.subject + " " + template.body
        }
        #expect(french(.programmeAnnounced).contains("fenêtre de mise à niveau"))
        #expect(french(.customerProgrammeAnnounced).contains("partenaire"))
        #expect(french(.windowOpen).contains("« Mettre à niveau maintenant »"))
        #expect(french(.orderUnanswered).contains("Veuillez contacter votre distributeur"))
        #expect(french(.upgradeHeld).contains("Le client {organisation} n'a pas été mis à niveau"))
        #expect(french(.monthlyLegacyDeclaration).contains("Déclaration mensuelle"))
        #expect(french(.finalLegacyDeclaration).contains("déclaration finale"))
        #expect(french(.endpointRestartRequired).contains("Redémarrez"))
        #expect(french(.firstCloudBillDue).contains("Première facture"))
    }

    @Test("render fills a realistic notification, with a date from NotificationDates")
    func realistic() {
        let calendar = BusinessCalendar()
        let deadline = NotificationDates.format(Instant.parse("2026-11-09T16:00:00Z")!, .fr, calendar: calendar)
        let (subject, body) = NotificationTemplates.render(.endpointUpgradeAvailable, .fr, values: ["endpoint": "PC-COMPTA-03", "deadline": deadline])
        #expect(subject == "Mise à niveau de l'agent de sécurité disponible")
        #expect(body.hasPrefix("Une mise à niveau de l'agent de sécurité est disponible pour PC-COMPTA-03. "
            + "Vous pouvez effectuer la mise à niveau maintenant ou la reporter jusqu'au lundi 9 novembre 2026, 08:00 PST ;"))
    }

    @Test("render inserts values as they are, never re-reading them, and leaves a token without a value")
    func renderSinglePass() {
        let (subject, body) = NotificationTemplates.render(.orderFailed, .en, values: ["organisation": "Acme {order}", "order": "ord-7"])
        #expect(subject == "Upgrade order ord-7 for Acme {order} failed")
        #expect(body.contains("for Acme {order}: {reason}."))
        let (_, unknown) = NotificationTemplates.render(.endpointInstalling, .en, values: ["endpoint": "{a", "other": "x"])
        #expect(unknown == "The security agent upgrade is being installed on {a. Your device stays protected during the installation.")
    }
}
