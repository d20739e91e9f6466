import Foundation
import RolloutCore
import RolloutDaemon
@testable import RolloutDelivery
import RolloutEngine
import RolloutStore
import Testing

/// #11 "the structured fields a program needs": beside the text, the payload carries the values
/// the text was filled with, typed. The notifications are the scheduler's own (a programme
/// announced and its window opening, through the real wake rules); the bodies are the bytes the
/// deliverer signs and sends.
@Suite struct PayloadValuesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The webhook bodies of every delivery due, by notification kind and audience.
    static func bodies(_ store: Store, at now: Date) throws -> [String: [String: Any]] {
        _ = try store.fanOutDeliveries(now: now)
        var bodies: [String: [String: Any]] = [:]
        for due in try store.dueDeliveries(now: now, capacity: 1_000, busy: [:], excluding: [:]) {
            let body = try WebhookPayload.notification(due.notification).encoded()
            let data = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])["data"] as? [String: Any]
            bodies["\(due.notification.kind)/\(due.notification.audience)"] = data
        }
        return bodies
    }

    @Test func datesOfTheProgrammeAreInstantsBesideTheText() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rolloutd-payload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store(path: directory.appendingPathComponent("rolloutd.sqlite").path)
        let start = Instant.parse("2026-10-30T00:00:00Z")!
        _ = try store.apply(try Data(contentsOf: Self.root.appendingPathComponent("examples/sample-state.json")), at: start)
        let context = LoopSettings(Configuration()).rules
        // Registered before the wakes: a webhook receives what is written after it.
        _ = try store.addWebhook(partner: "northwind", organisation: nil, url: "https://hooks.example.com/p", kinds: nil,
                                 secret: WebhookSignature.generateSecret(), now: start)
        _ = try store.addWebhook(partner: "northwind", organisation: "contoso", url: "https://hooks.example.com/c", kinds: nil,
                                 secret: WebhookSignature.generateSecret(), now: start)
        let window = Instant.parse("2026-11-09T16:00:00Z")!, automatic = Instant.parse("2027-01-04T16:00:00Z")!
        _ = try store.createProgramme(partner: "northwind", announceAt: Instant.parse("2026-11-02T16:00:00Z")!, windowStartAt: window,
                                      autoUpgradeAt: automatic, at: start, calendar: context.calendar)
        _ = try store.startClock(at: start)
        let end = Instant.parse("2026-11-10T00:00:00Z")!
        while let wake = try store.nextWake(rules: Rules.all, context: context), wake.at <= end {
            _ = try store.process(wake, rules: Rules.all, context: context, late: false)
        }

        let bodies = try Self.bodies(store, at: end)
        let announced = try #require(bodies["programme_announced/partner_admins"], "\(bodies.keys.sorted())")
        #expect(announced["values"] as? [String: String] == ["date": "2026-11-09T16:00:00Z", "deadline": "2027-01-04T16:00:00Z"])
        // The text says the same dates in words, in the partner's language.
        #expect((announced["text"] as? String)?.isEmpty == false)
        let customers = try #require(bodies["customer_programme_announced/customer_admins"], "\(bodies.keys.sorted())")
        #expect(customers["organisation_id"] as? String == "contoso")
        #expect(customers["values"] as? [String: String] == ["date": "2026-11-09T16:00:00Z"])
        let opened = try #require(bodies["window_open/partner_admins"], "\(bodies.keys.sorted())")
        #expect(opened["values"] as? [String: String] == ["deadline": "2027-01-04T16:00:00Z"])
    }

    /// A notification written before values were kept has none: the member is left out, and
    /// its bytes are what they were (retries carry the same body).
    @Test func aNotificationWithoutValuesHasNoValuesMember() throws {
        let body = try WebhookPayload(type: "window_open", timestamp: "2026-03-09T16:00:01Z", data: .notification(.init(
            id: "window_open|partner:northwind|1773072000", notificationID: 42, kind: "window_open", audience: "partner_admins",
            subject: "partner:northwind", occurrence: "1773072000", partnerID: "northwind", organisationID: nil, userID: nil, endpointID: nil,
            dueAt: "2026-03-09T16:00:00Z", emittedAt: "2026-03-09T16:00:01Z", late: false, locale: "en", title: "t", text: "x",
            values: nil))).encoded()
        #expect(!String(decoding: body, as: UTF8.self).contains("values"))
    }
}
