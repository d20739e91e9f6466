import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// A whole customer upgrade programme (UPG-2…9) driven by the daemon's loop, from the
/// announcement to the last endpoint upgraded, autumn 2026 (DST ends Sunday 1 November).
///
/// Northwind MSP (`en`, automatic policy, 30 days, end users may defer 7 days, billing day 5):
/// - `initech` never ready: an agent older than 14.0.0 and a policy feature the cloud lacks;
/// - `globex` (delay override 10 days) ordered by the partner, the order fails, ordered again,
///   processed; its end users defer (reminders, then D), upgrade now, fail and retry;
/// - `contoso` ordered by the partner, unanswered for 24 h, processed two weeks later: its
///   endpoints' automatic-upgrade time crosses the end of DST;
/// - `hooli` left for the automatic-upgrade instant (UPG-7);
/// - `stark` ready at window start, stale check-ins by the automatic upgrade (held), fresh
///   check-ins loaded by a document, ordered at the next boundary;
/// - `wayne` already on the cloud generation: no banner, no readiness.
/// Bleu Infogérance (`fr`, manual policy, 14 days of deferral, billing day 10): `lamna`, ordered,
/// processed, its endpoints triggered by the partner.
@Suite("UPG-2…9 a full programme through the daemon's loop")
struct UpgradeProgrammeFullTests {
    static func document() -> UpgradeDocument {
        var d = UpgradeDocument()
        d.partner("northwind", name: "Northwind MSP", billingDay: 5)
        d.partner("bleu", name: "Bleu Infogérance", locale: "fr", policy: "manual", deferralDays: 14, billingDay: 10)
        d.organisation("initech", name: "Initech", partners: ["northwind"], policyFeatures: ["host_integrity", "firewall"])
        d.endpoint("initech-pc1", organisation: "initech")
        d.endpoint("initech-pc2", organisation: "initech", agent: "13.2.0")
        d.organisation("globex", name: "Globex", partners: ["northwind"], delayDays: 10)
        d.user("globex-ann", organisation: "globex")
        d.endpoint("globex-pc1", organisation: "globex", user: "globex-ann")
        d.endpoint("globex-pc2", organisation: "globex", platform: "macos")
        d.endpoint("globex-pc3", organisation: "globex", platform: "linux")
        // A phone: out of the desktop agent's scope, neither checked nor upgraded.
        d.endpoint("globex-phone", organisation: "globex", platform: "ios", agent: nil, checkIn: nil)
        d.organisation("contoso", name: "Contoso", partners: ["northwind"])
        d.endpoint("contoso-pc1", organisation: "contoso")
        d.endpoint("contoso-pc2", organisation: "contoso", platform: "macos")
        d.organisation("hooli", name: "Hooli", partners: ["northwind"])
        d.endpoint("hooli-pc1", organisation: "hooli")
        d.endpoint("hooli-pc2", organisation: "hooli")
        d.organisation("stark", name: "Stark", partners: ["northwind"])
        d.endpoint("stark-pc1", organisation: "stark", checkIn: "2026-08-20T00:00:00Z")
        d.endpoint("stark-pc2", organisation: "stark", checkIn: "2026-08-20T00:00:00Z")
        d.organisation("wayne", name: "Wayne", partners: ["northwind"], generation: "cloud")
        d.organisation("lamna", name: "Lamna Santé", partners: ["bleu"])
        d.endpoint("lamna-pc1", organisation: "lamna")
        d.endpoint("lamna-pc2", organisation: "lamna", platform: "macos")
        return d
    }

    @Test("announcement, readiness, orders, endpoint lifecycles, progress and declarations")
    func fullProgramme() async throws {
        let s = try UpgradeScenario(start: "2026-09-01T00:00:00Z", Self.document())
        try s.programme(partner: "northwind", announce: "2026-09-04T18:30:00Z", window: "2026-09-14T15:00:00Z",
                        auto: "2026-10-01T15:00:00Z", at: "2026-09-01T00:00:00Z")
        try s.programme(partner: "bleu", announce: "2026-09-04T18:30:00Z", window: "2026-09-14T15:00:00Z",
                        auto: "2026-10-01T15:00:00Z", at: "2026-09-01T00:00:00Z")
        let legacyOfNorthwind = ["contoso", "globex", "hooli", "initech", "stark"]

        // MARK: UPG-2 — banners at the announcement instant (a Friday, 11:30 PDT: not a boundary)
        try await s.run(until: "2026-09-04T18:30:00Z")
        #expect(try s.wakeInstants().contains(at("2026-09-04T18:30:00Z")))
        let banner = try s.notices(.programmeAnnounced, partner: "northwind")
        #expect(banner.count == 1)
        #expect(banner.first?.dueAt == at("2026-09-04T18:30:00Z"))
        #expect(banner.first?.audience == "partner_admins")
        #expect(banner.first?.late == false)
        #expect(banner.first?.subject == "Upgrade to the cloud generation: your upgrade window opens on Monday 14 September 2026, 08:00 PDT")
        // {deadline} is the automatic-upgrade instant, not the window start.
        #expect(banner.first?.body.contains("ready on Thursday 1 October 2026, 08:00 PDT will be upgraded automatically") == true,
                "\(banner.first?.body ?? "no banner")")
        let customerBanners = try s.notices(.customerProgrammeAnnounced, partner: "northwind")
        #expect(customerBanners.compactMap(\.organisation).sorted() == legacyOfNorthwind)
        #expect(customerBanners.allSatisfy { $0.audience == "customer_admins" && $0.dueAt == at("2026-09-04T18:30:00Z") })
        #expect(customerBanners.first { $0.organisation == "hooli" }?.subject == "Your upgrade window opens on Monday 14 September 2026, 08:00 PDT")
        let bleuBanner = try s.notices(.programmeAnnounced, partner: "bleu")
        #expect(bleuBanner.map(\.subject) == [
            "Mise à niveau vers la génération cloud : votre fenêtre de mise à niveau s'ouvre le lundi 14 septembre 2026, 08:00 PDT",
        ])
        #expect(try s.notices(.customerProgrammeAnnounced, partner: "bleu").map { "\($0.organisation ?? "") \($0.locale)" } == ["lamna fr"])
        // UPG-4: no order before the window opens.
        #expect(refusalMessage { try s.requestUpgrade(partner: "northwind", ["hooli"], at: "2026-09-04T18:30:00Z") }?
            .contains("opens at 2026-09-14T15:00:00Z") == true)

        // MARK: UPG-9 — monthly declarations while legacy customers remain; UPG-3 — window start
        try await s.run(until: "2026-09-14T15:00:00Z")
        #expect(try s.dueInstants(.monthlyLegacyDeclaration, partner: "northwind") == [at("2026-09-05T15:00:00Z")])
        #expect(try s.dueInstants(.monthlyLegacyDeclaration, partner: "bleu") == [at("2026-09-10T15:00:00Z")])
        let windowOpen = try s.notices(.windowOpen, partner: "northwind")
        #expect(windowOpen.map(\.dueAt) == [at("2026-09-14T15:00:00Z")])
        #expect(windowOpen.first?.body.contains("ready on Thursday 1 October 2026, 08:00 PDT") == true)

        let initech = try s.readinessItems("initech")
        #expect(initech["agent_version"]?.passed == false)
        #expect(initech["agent_version"]?.reason == "1 of 2 endpoints runs an agent older than 14.0.0 or of unknown version: initech-pc2")
        #expect(initech["policy_features"]?.passed == false)
        #expect(initech["policy_features"]?.reason == "policies use features the cloud generation lacks: host_integrity")
        #expect(initech["checked_in_recently"]?.passed == true)
        #expect(initech["supported_platform"]?.passed == true)
        // The phone is not counted: three desktop endpoints.
        #expect(try s.readinessItems("globex")["checked_in_recently"]?.reason == "every endpoint checked in within 30 days (3 endpoints)")
        let atWindow = try s.store.readiness(partner: "northwind", organisation: nil)
        #expect(Dictionary(uniqueKeysWithValues: atWindow.map { ($0.organisation, $0.ready) }) == [
            "contoso": true, "globex": true, "hooli": true, "initech": false, "stark": true, "wayne": nil,
        ])
        #expect(atWindow.allSatisfy { $0.ready == nil || ($0.items.count == 4 && $0.evaluatedAt == at("2026-09-14T15:00:00Z")) })

        // MARK: UPG-4 — a not-ready organisation is refused; Bleu orders lamna, processed the same day
        let notReady = refusalMessage { try s.requestUpgrade(partner: "northwind", ["initech"], at: "2026-09-14T16:00:00Z") } ?? ""
        #expect(notReady.contains("initech: not ready") && notReady.contains("agent_version") && notReady.contains("policy_features"), "\(notReady)")
        #expect(try s.orders("initech").isEmpty)
        let lamnaOrder = try s.requestUpgrade(partner: "bleu", ["lamna"], at: "2026-09-14T16:00:00Z")
        #expect(lamnaOrder.map(\.answerDue) == [at("2026-09-15T16:00:00Z")])
        #expect(try s.notices(.orderPlaced, organisation: "lamna").map(\.subject)
                == ["Commande de mise à niveau #\(lamnaOrder[0].order) passée pour Lamna Santé"])
        try await s.run(until: "2026-09-14T20:00:00Z")
        try s.answer("lamna", processed: true, at: "2026-09-14T20:00:00Z")
        try await s.run(until: "2026-09-14T21:00:00Z")

        // MARK: UPG-5 under the manual policy; UPG-9 final declaration with the last legacy customer
        let lamna = try s.organisation("lamna")
        #expect(lamna.generation == "cloud")
        #expect(lamna.upgradedAt == at("2026-09-14T20:00:00Z"))
        // Processed on the 14th, billing day 10: the first bill is next month's, a Saturday.
        #expect(lamna.firstBillDue == at("2026-10-10T15:00:00Z"))
        #expect(try s.notices(.firstCloudBillDue, organisation: "lamna").map(\.subject)
                == ["Première facture cloud pour Lamna Santé le samedi 10 octobre 2026, 08:00 PDT"])
        #expect(try s.orders("lamna").map(\.appliedAt) == [at("2026-09-14T20:00:01Z")])
        for endpoint in ["lamna-pc1", "lamna-pc2"] {
            let row = try s.endpoint(endpoint)
            #expect(row.state == "pending")
            #expect(row.upgradeAt == nil, "manual policy: no automatic-upgrade time for \(endpoint)")
            #expect(row.agentGeneration == "legacy")
        }
        #expect(try s.dueInstants(.finalLegacyDeclaration, partner: "bleu") == [at("2026-09-14T20:00:00Z")])
        #expect(try s.notices(.orderProcessed, organisation: "lamna").map(\.dueAt) == [at("2026-09-14T20:00:00Z")])

        // MARK: UPG-4 — globex: ordered, the distributor fails it, the partner orders again
        try await s.run(until: "2026-09-15T17:00:00Z")
        let firstGlobex = try s.requestUpgrade(partner: "northwind", ["globex"], at: "2026-09-15T17:00:00Z")
        try await s.run(until: "2026-09-15T20:00:00Z")
        try s.answer("globex", processed: false, reason: "marketplace rejected the order: no purchase order number", at: "2026-09-15T20:00:00Z")
        try await s.run(until: "2026-09-16T16:00:00Z")
        let failed = try s.notices(.orderFailed, organisation: "globex")
        #expect(failed.map(\.dueAt) == [at("2026-09-15T20:00:00Z")])
        #expect(failed.first?.body.contains("order #\(firstGlobex[0].order) for Globex: marketplace rejected the order: no purchase order number") == true)
        #expect(try s.organisation("globex").generation == "legacy")
        #expect(try s.decisions(rule: "UPG-4", subject: "globex").map(\.after)
                == ["order #\(firstGlobex[0].order) placed by the partner", "failed: marketplace rejected the order: no purchase order number"])
        let secondGlobex = try s.requestUpgrade(partner: "northwind", ["globex"], at: "2026-09-16T16:00:00Z")
        let contosoOrder = try s.requestUpgrade(partner: "northwind", ["contoso"], at: "2026-09-16T17:00:00Z")
        #expect(throws: StoreError.self) { try s.requestUpgrade(partner: "northwind", ["contoso"], at: "2026-09-16T17:30:00Z") }
        try await s.run(until: "2026-09-16T18:00:00Z")
        try s.answer("globex", processed: true, at: "2026-09-16T18:00:00Z")

        // MARK: UPG-4 — contoso unanswered for 24 elapsed hours: told once
        try await s.run(until: "2026-09-21T15:00:00Z")
        #expect(try s.wakeInstants().contains(at("2026-09-17T17:00:00Z")))
        let unanswered = try s.notices(.orderUnanswered, organisation: "contoso")
        #expect(unanswered.map(\.dueAt) == [at("2026-09-17T17:00:00Z")])
        #expect(unanswered.first?.body.contains("Please contact your distributor") == true)
        #expect(try s.orders("contoso").map(\.chasedAt) == [at("2026-09-17T17:00:00Z")])
        #expect(try s.notices(.orderUnanswered, organisation: "globex").isEmpty)
        #expect(secondGlobex.count == 1 && contosoOrder.count == 1)

        // UPG-5 — globex: cloud; endpoints at processing + 10 days (its override), Saturday 26
        // September 11:00 PDT, moved to Monday 28 September 08:00 PDT; first bill on 5 October.
        let globex = try s.organisation("globex")
        #expect(globex.generation == "cloud")
        #expect(globex.firstBillDue == at("2026-10-05T15:00:00Z"))
        for endpoint in ["globex-pc1", "globex-pc2", "globex-pc3"] {
            #expect(try s.endpoint(endpoint).upgradeAt == at("2026-09-28T15:00:00Z"), "\(endpoint)")
        }
        #expect(try s.endpoint("globex-phone").state == nil)

        // UPG-3 — re-evaluated at every boundary: stark's check-ins of 20 August are older than
        // 30 days at Monday 21 September's boundary.
        let stark = try s.store.readiness(partner: "northwind", organisation: "stark").first
        #expect(stark?.ready == false)
        #expect(stark?.evaluatedAt == at("2026-09-21T15:00:00Z"))
        #expect(try s.readinessItems("stark")["checked_in_recently"]?.reason
                == "2 of 2 endpoints have not checked in within 30 days: stark-pc1, stark-pc2")
        #expect(try s.decisions(rule: "UPG-3", subject: "stark").map { iso($0.at) + " " + ($0.after ?? "") } == [
            "2026-09-14T15:00:00Z ready", "2026-09-21T15:00:00Z not ready: checked_in_recently",
        ])

        // MARK: UPG-6 under the manual policy: Bleu triggers lamna's endpoints
        try await s.run(until: "2026-09-22T16:00:00Z")
        #expect(throws: StoreError.self) { try s.event(.userDeferred, "lamna-pc1", at: "2026-09-22T16:00:00Z") }
        #expect(try s.event(.triggered, "lamna-pc1", at: "2026-09-22T16:00:00Z") == .notified)
        #expect(try s.event(.triggered, "lamna-pc2", at: "2026-09-22T16:00:00Z") == .notified)
        #expect(try s.endpoint("lamna-pc1").deadline == at("2026-10-06T16:00:00Z"))
        let available = try s.notices(.endpointUpgradeAvailable, endpoint: "lamna-pc1")
        #expect(available.first?.locale == "fr")
        #expect(available.first?.body.contains("la reporter jusqu'au mardi 6 octobre 2026, 09:00 PDT") == true)
        // A device report that does not fit the state is refused and writes nothing.
        #expect(throws: StoreError.self) { try s.event(.restartReported, "lamna-pc1", at: "2026-09-22T16:30:00Z") }
        #expect(try s.endpoint("lamna-pc1").state == "notified")
        #expect(try s.event(.userUpgradeNow, "lamna-pc1", at: "2026-09-22T17:00:00Z") == .installing)
        #expect(try s.event(.installCompleted, "lamna-pc1", at: "2026-09-22T18:00:00Z") == .restartRequired)
        #expect(try s.endpoint("lamna-pc1").agentGeneration == "legacy")
        #expect(try s.event(.restartReported, "lamna-pc1", at: "2026-09-22T19:00:00Z") == .upgraded)
        #expect(try s.endpoint("lamna-pc1").agentGeneration == "cloud")
        #expect(try s.notices(.endpointUpgraded, endpoint: "lamna-pc1").map { "\($0.audience) \($0.subject)" }
                == ["end_user Mise à niveau réussie : votre appareil est protégé"])
        #expect(try s.event(.userUpgradeNow, "lamna-pc2", at: "2026-09-22T17:00:00Z") == .installing)
        #expect(try s.event(.failureReported(reason: "espace disque insuffisant"), "lamna-pc2", at: "2026-09-22T18:00:00Z") == .failed)
        let lamnaFailure = try s.notices(.endpointUpgradeFailed, endpoint: "lamna-pc2")
        #expect(lamnaFailure.map { "\($0.audience) \($0.partner ?? "")" } == ["partner_admins bleu"])
        #expect(lamnaFailure.first?.body.contains("Lamna Santé : espace disque insuffisant") == true)
        #expect(try s.endpoint("lamna-pc2").agentGeneration == "legacy")
        // The partner retries: a new attempt with its own D.
        #expect(try s.event(.triggered, "lamna-pc2", at: "2026-09-23T16:00:00Z") == .notified)
        #expect(try s.endpoint("lamna-pc2").deadline == at("2026-10-07T16:00:00Z"))
        #expect(try s.notices(.endpointUpgradeAvailable, endpoint: "lamna-pc2").count == 2)
        try s.event(.userUpgradeNow, "lamna-pc2", at: "2026-09-23T17:00:00Z")
        try s.event(.installCompleted, "lamna-pc2", at: "2026-09-23T18:00:00Z")
        #expect(try s.event(.restartReported, "lamna-pc2", at: "2026-09-23T19:00:00Z") == .upgraded)

        // MARK: UPG-6 — globex's endpoints triggered by the wake at their automatic-upgrade time
        try await s.run(until: "2026-09-28T18:00:00Z")
        for endpoint in ["globex-pc1", "globex-pc2", "globex-pc3"] {
            let row = try s.endpoint(endpoint)
            #expect(row.state == "notified", "\(endpoint)")
            #expect(row.triggeredAt == at("2026-09-28T15:00:00Z"))
            #expect(row.deadline == at("2026-10-05T15:00:00Z"), "D = trigger + 7 days")
            #expect(row.upgradeAt == nil)
        }
        let globexAvailable = try s.notices(.endpointUpgradeAvailable, organisation: "globex")
        #expect(globexAvailable.compactMap(\.endpoint).sorted() == ["globex-pc1", "globex-pc2", "globex-pc3"])
        #expect(globexAvailable.allSatisfy { $0.dueAt == at("2026-09-28T15:00:00Z") && !$0.late && $0.audience == "end_user" })
        #expect(globexAvailable.first { $0.endpoint == "globex-pc1" }?.user == "globex-ann")
        #expect(globexAvailable.first?.body.contains("defer it until Monday 5 October 2026, 08:00 PDT") == true)
        // globex-pc1's user defers: reminders at 56 h and 112 h after the trigger, then D.
        #expect(try s.event(.userDeferred, "globex-pc1", at: "2026-09-28T18:00:00Z") == .deferred)
        #expect(try s.endpoint("globex-pc1").nextReminder == at("2026-09-30T23:00:00Z"))
        try await s.run(until: "2026-09-28T20:00:00Z")
        // globex-pc2 upgrades now and succeeds; globex-pc3 fails.
        try s.event(.userUpgradeNow, "globex-pc2", at: "2026-09-28T20:00:00Z")
        try s.event(.userUpgradeNow, "globex-pc3", at: "2026-09-28T20:00:00Z")
        try await s.run(until: "2026-09-28T21:00:00Z")
        #expect(try s.event(.installCompleted, "globex-pc2", at: "2026-09-28T21:00:00Z") == .restartRequired)
        #expect(try s.event(.failureReported(reason: "installer exit code 1603"), "globex-pc3", at: "2026-09-28T21:00:00Z") == .failed)
        #expect(try s.notices(.endpointUpgradeFailed, endpoint: "globex-pc3").map { "\($0.audience) \($0.partner ?? "") \($0.subject)" }
                == ["partner_admins northwind Endpoint upgrade failed on globex-pc3 (Globex)"])
        #expect(try s.endpoint("globex-pc3").failureReason == "installer exit code 1603")
        try await s.run(until: "2026-09-29T09:00:00Z")
        #expect(try s.endpoint("globex-pc2").agentGeneration == "legacy", "the legacy agent stays until upgraded")
        #expect(try s.event(.restartReported, "globex-pc2", at: "2026-09-29T09:00:00Z") == .upgraded)
        #expect(try s.endpoint("globex-pc2").agentGeneration == "cloud")
        #expect(try s.notices(.endpointUpgraded, endpoint: "globex-pc2").map(\.subject) == ["Upgrade complete: your device is protected"])

        // MARK: UPG-7 — the automatic-upgrade instant
        try await s.run(until: "2026-10-01T15:00:00Z")
        let firstReminder = try s.notices(.endpointUpgradeReminder, endpoint: "globex-pc1")
        #expect(firstReminder.map(\.dueAt) == [at("2026-09-30T23:00:00Z")])
        #expect(firstReminder.first?.body.contains("installed automatically on Monday 5 October 2026, 08:00 PDT") == true)
        #expect(try s.wakeInstants().contains(at("2026-09-30T23:00:00Z")))
        #expect(try s.endpoint("globex-pc1").nextReminder == at("2026-10-03T07:00:00Z"))

        let hooliOrders = try s.orders("hooli")
        #expect(hooliOrders.map { "\($0.state) \($0.automatic) \(iso($0.orderedAt))" } == ["ordered true 2026-10-01T15:00:00Z"])
        #expect(try s.notices(.orderPlaced, organisation: "hooli").map(\.dueAt) == [at("2026-10-01T15:00:00Z")])
        #expect(try s.orders("contoso").count == 1, "an organisation with an open order is not ordered again")
        #expect(try s.orders("stark").isEmpty && s.orders("initech").isEmpty)
        let starkHeld = try s.notices(.upgradeHeld, organisation: "stark")
        #expect(starkHeld.map(\.dueAt) == [at("2026-10-01T15:00:00Z")])
        #expect(starkHeld.first?.body.contains("Failing checks: checked_in_recently: 2 of 2 endpoints have not checked in within 30 days") == true)
        let initechHeld = try s.notices(.upgradeHeld, organisation: "initech")
        #expect(initechHeld.map(\.dueAt) == [at("2026-10-01T15:00:00Z")])
        #expect(initechHeld.first?.body.contains("agent_version: 1 of 2 endpoints runs an agent older than 14.0.0") == true)
        #expect(initechHeld.first?.body.contains("policy_features: policies use features the cloud generation lacks: host_integrity") == true)

        // UPG-8 — progress at the automatic-upgrade instant.
        let progress = try #require(s.store.progress(partner: "northwind").first)
        #expect(progress.organisations == ["legacy": 4, "cloud": 2])
        #expect(progress.orders == ["none": 3, "processed": 1, "ordered": 2])
        #expect(progress.endpoints == ["deferred": 1, "upgraded": 1, "failed": 1])

        // MARK: hooli processed; held organisations retried at the next boundary
        try await s.run(until: "2026-10-01T20:00:00Z")
        try s.answer("hooli", processed: true, at: "2026-10-01T20:00:00Z")
        try await s.run(until: "2026-10-02T17:00:00Z")
        #expect(s.summary(at: "2026-10-02T15:00:00Z")?.decisions["organisation_held"] == 2)
        #expect(try s.notices(.upgradeHeld, organisation: "stark").count == 1, "same failing items: told once")
        // UPG-5 — 13:00 PDT Thursday + 30 days = Saturday 31 October 13:00 PDT; the first boundary
        // at or after it is Monday 2 November 08:00 PST (16:00Z).
        #expect(try s.endpoint("hooli-pc1").upgradeAt == at("2026-11-02T16:00:00Z"))
        #expect(try s.organisation("hooli").firstBillDue == at("2026-10-05T15:00:00Z"))
        // stark's devices check in again; the document is loaded at 17:00.
        var checkIns = UpgradeDocument()
        checkIns.endpoint("stark-pc1", organisation: "stark", checkIn: "2026-10-02T16:00:00Z")
        checkIns.endpoint("stark-pc2", organisation: "stark", checkIn: "2026-10-02T16:30:00Z")
        try s.apply(checkIns, at: "2026-10-02T17:00:00Z")

        // MARK: Monday 5 October: stark ordered at the boundary, globex-pc1 reaches D, billing day
        try await s.run(until: "2026-10-05T18:00:00Z")
        #expect(try s.dueInstants(.endpointUpgradeReminder, endpoint: "globex-pc1") == [at("2026-09-30T23:00:00Z"), at("2026-10-03T07:00:00Z")])
        #expect(try s.wakeInstants().contains(at("2026-10-03T07:00:00Z")))
        #expect(try s.orders("stark").map { "\($0.automatic) \(iso($0.orderedAt))" } == ["true 2026-10-05T15:00:00Z"])
        #expect(try s.store.readiness(partner: "northwind", organisation: "stark").first?.ready == true)
        let pc1 = try s.endpoint("globex-pc1")
        #expect(pc1.state == "installing")
        #expect(pc1.nextReminder == nil)
        #expect(pc1.agentGeneration == "legacy")
        #expect(try s.dueInstants(.endpointInstalling, endpoint: "globex-pc1") == [at("2026-10-05T15:00:00Z")])
        #expect(try s.dueInstants(.monthlyLegacyDeclaration, partner: "northwind") == [at("2026-09-05T15:00:00Z"), at("2026-10-05T15:00:00Z")])
        try s.event(.installCompleted, "globex-pc1", at: "2026-10-05T18:00:00Z")
        #expect(try s.event(.restartReported, "globex-pc1", at: "2026-10-05T18:00:00Z") == .upgraded)
        try s.answer("stark", processed: true, at: "2026-10-05T18:00:00Z")
        // The partner retries globex-pc3.
        #expect(try s.event(.triggered, "globex-pc3", at: "2026-10-05T18:00:00Z") == .notified)
        #expect(try s.endpoint("globex-pc3").deadline == at("2026-10-12T18:00:00Z"))
        #expect(try s.endpoint("globex-pc3").failureReason == nil)
        try s.event(.userUpgradeNow, "globex-pc3", at: "2026-10-05T18:30:00Z")
        try s.event(.installCompleted, "globex-pc3", at: "2026-10-05T19:00:00Z")
        try s.event(.restartReported, "globex-pc3", at: "2026-10-05T19:30:00Z")

        // MARK: contoso processed at last, 08:30 PDT on Tuesday 6 October
        try await s.run(until: "2026-10-06T15:30:00Z")
        try s.answer("contoso", processed: true, at: "2026-10-06T15:30:00Z")
        try await s.run(until: "2026-10-07T00:00:00Z")
        // Processed on the billing day itself: the first bill is next month's.
        #expect(try s.organisation("stark").firstBillDue == at("2026-11-05T16:00:00Z"))
        #expect(try s.endpoint("stark-pc1").upgradeAt == at("2026-11-05T16:00:00Z"))
        // 30 calendar days (CAL-4) after 08:30 PDT is 08:30 PST on Thursday 5 November, after
        // that day's boundary: Friday 6 November 08:00 PST. (30 × 24 h would give 07:30 PST, and
        // Thursday's boundary.)
        #expect(try s.endpoint("contoso-pc1").upgradeAt == at("2026-11-06T16:00:00Z"))
        #expect(try s.organisation("contoso").firstBillDue == at("2026-11-05T16:00:00Z"))
        #expect(try s.notices(.orderUnanswered, organisation: "contoso").count == 1)

        // MARK: November: hooli, stark and contoso endpoints
        try await s.run(until: "2026-11-02T17:00:00Z")
        #expect(try s.dueInstants(.endpointUpgradeAvailable, organisation: "hooli") == [at("2026-11-02T16:00:00Z"), at("2026-11-02T16:00:00Z")])
        #expect(try s.endpoint("hooli-pc1").deadline == at("2026-11-09T16:00:00Z"))
        for endpoint in ["hooli-pc1", "hooli-pc2"] {
            try s.event(.userUpgradeNow, endpoint, at: "2026-11-02T17:00:00Z")
            try s.event(.installCompleted, endpoint, at: "2026-11-02T17:00:00Z")
            try s.event(.restartReported, endpoint, at: "2026-11-02T17:00:00Z")
        }
        try await s.run(until: "2026-11-06T17:00:00Z")
        #expect(try s.dueInstants(.endpointUpgradeAvailable, organisation: "stark") == [at("2026-11-05T16:00:00Z"), at("2026-11-05T16:00:00Z")])
        for endpoint in ["stark-pc1", "stark-pc2"] {
            try s.event(.userUpgradeNow, endpoint, at: "2026-11-06T17:00:00Z")
            try s.event(.installCompleted, endpoint, at: "2026-11-06T17:00:00Z")
            try s.event(.restartReported, endpoint, at: "2026-11-06T17:00:00Z")
        }
        #expect(try s.endpoint("contoso-pc1").deadline == at("2026-11-13T16:00:00Z"))
        // contoso's users do nothing: D installs the upgrade.
        try await s.run(until: "2026-11-13T17:00:00Z")
        #expect(try s.dueInstants(.endpointInstalling, organisation: "contoso") == [at("2026-11-13T16:00:00Z"), at("2026-11-13T16:00:00Z")])
        #expect(try s.dueInstants(.endpointUpgradeReminder, organisation: "contoso").isEmpty, "reminders only for deferred endpoints")
        for endpoint in ["contoso-pc1", "contoso-pc2"] {
            #expect(try s.endpoint(endpoint).state == "installing")
            try s.event(.installCompleted, endpoint, at: "2026-11-13T17:00:00Z")
            try s.event(.restartReported, endpoint, at: "2026-11-13T17:00:00Z")
        }

        // MARK: the end: every endpoint upgraded, initech still legacy
        try await s.run(until: "2026-12-10T00:00:00Z")
        let northwind = try #require(s.store.progress(partner: "northwind").first)
        #expect(northwind.organisations == ["legacy": 1, "cloud": 5])
        #expect(northwind.orders == ["none": 2, "processed": 4])
        #expect(northwind.endpoints == ["upgraded": 9])
        let bleu = try #require(s.store.progress(partner: "bleu").first)
        #expect(bleu.organisations == ["cloud": 1])
        #expect(bleu.orders == ["processed": 1])
        #expect(bleu.endpoints == ["upgraded": 2])
        #expect(try s.count("SELECT count(*) FROM endpoint WHERE upgrade_state = 'upgraded' AND agent_generation = 'cloud'") == 11)
        #expect(try s.count("SELECT count(*) FROM endpoint WHERE agent_generation = 'legacy' AND upgrade_state IS NOT NULL") == 0)

        // UPG-9 — Northwind keeps a legacy customer: a monthly declaration on every billing day
        // (8:00 Pacific, PST from November), no final one. Bleu: one monthly, one final, no more.
        #expect(try s.dueInstants(.monthlyLegacyDeclaration, partner: "northwind") == [
            at("2026-09-05T15:00:00Z"), at("2026-10-05T15:00:00Z"), at("2026-11-05T16:00:00Z"), at("2026-12-05T16:00:00Z"),
        ])
        #expect(try s.wakeInstants().contains(at("2026-12-05T16:00:00Z")), "a Saturday billing day wakes the daemon")
        #expect(try s.notices(.finalLegacyDeclaration, partner: "northwind").isEmpty)
        #expect(try s.dueInstants(.monthlyLegacyDeclaration, partner: "bleu") == [at("2026-09-10T15:00:00Z")])
        #expect(try s.dueInstants(.finalLegacyDeclaration, partner: "bleu") == [at("2026-09-14T20:00:00Z")])
        #expect(try s.orders("initech").isEmpty)
        // Held at every boundary, told again only when the failing items change.
        let held = try s.notices(.upgradeHeld, organisation: "initech")
        #expect(held.filter { $0.key.hasSuffix("failing:agent_version,policy_features") }.count == 1)
        #expect(Set(held.map(\.key)).count == held.count)
        #expect(try s.count("SELECT count(*) FROM notification WHERE late = 1") == 0, "the loop never lagged")
    }
}
