import Foundation
import GRDB
import RolloutStore
import Testing

/// A test ping queued through the API (`POST /v1/partners/{p}/webhooks/{id}/test` calls
/// `queueWebhookPing`): `rolloutd deliver` sends it signed, a `standardwebhooks` receiver
/// verifies it, and the answer is recorded for the list's `last_ping` (DLV-1, DLV-5).
@Suite(.serialized, .enabled(if: pythonReceiverAvailable, "needs python3 with standardwebhooks (scripts/install-deps)"))
struct QueuedPingTests {
    @Test func theDelivererSendsAQueuedPingAndRecordsTheAnswer() async throws {
        let lab = try DeliveryLab()
        defer { lab.tearDown() }
        let webhook = try lab.addWebhook(url: "http://127.0.0.1:9/")
        let receiver = try await lab.receiver(secrets: [webhook.secret])
        try lab.store.write { db in try db.execute(sql: "UPDATE webhook SET url = ?", arguments: [receiver.url()]) }
        let queued = try lab.store.queueWebhookPing(webhook: webhook.id, requestedBy: "token 'console' (0123456789ab)", at: Date())
        #expect(queued.sentAt == nil)

        try lab.startDeliverer()
        #expect(try await DeliveryLab.eventually(within: 20) { try lab.store.lastPings(partner: "northwind")[webhook.id]?.status != nil },
                "\(lab.delivererLog())")
        let answered = try #require(try lab.store.lastPings(partner: "northwind")[webhook.id])
        #expect(answered.id == queued.id)
        #expect(answered.status == 204 && answered.error == nil && answered.sentAt != nil)
        let entries = try receiver.entries()
        #expect(entries.count == 1)
        #expect(entries.first.map { $0.type == "ping" && $0.verified == [0] && $0.id.hasPrefix("ping|webhook:\(webhook.id)|") } == true)

        // Sent once: a later round does not send it again, and nothing waits any more.
        try await DeliveryLab.pause(0.5)
        #expect(try receiver.entries().count == 1)
        #expect(try lab.store.claimQueuedPings(now: Date()).isEmpty)
        lab.stopDeliverer()
    }

    /// A receiver that is gone: the ping is recorded with the failure, not retried.
    @Test func anUnansweredPingIsRecordedWithItsError() async throws {
        let lab = try DeliveryLab()
        defer { lab.tearDown() }
        let webhook = try lab.addWebhook(url: "http://127.0.0.1:9/")
        _ = try lab.store.queueWebhookPing(webhook: webhook.id, requestedBy: "token 'console' (0123456789ab)", at: Date())
        try lab.startDeliverer()
        #expect(try await DeliveryLab.eventually(within: 20) { try lab.store.lastPings(partner: "northwind")[webhook.id]?.error != nil },
                "\(lab.delivererLog())")
        let answered = try #require(try lab.store.lastPings(partner: "northwind")[webhook.id])
        #expect(answered.status == nil && answered.sentAt != nil)
        lab.stopDeliverer()
    }
}
