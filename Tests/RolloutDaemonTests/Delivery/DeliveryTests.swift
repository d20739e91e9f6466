import Foundation
import GRDB
import RolloutStore
import Testing

/// Webhook delivery end to end (DLV-1…5): `rolloutctl webhook …`, `rolloutd deliver` as a
/// process, and receivers that verify every request with the PyPI `standardwebhooks` library.
@Suite(.serialized, .enabled(if: pythonReceiverAvailable, "needs python3 with standardwebhooks (scripts/install-deps)"))
struct DeliveryTests {
    /// DLV-1, DLV-5: every request verifies with the reference library — before a rotation with
    /// the first secret, during the overlap with either (two signatures), after it with the new
    /// one only — and carries the notification's idempotency key as `webhook-id`.
    @Test func everyDeliveryVerifiesAcrossASecretRotation() async throws {
        let lab = try DeliveryLab()
        defer { lab.tearDown() }
        // The secret exists once the webhook does; the receiver that knows it gets its URL after.
        let webhook = try lab.addWebhook(url: "http://127.0.0.1:9/")
        let first = try await lab.receiver(secrets: [webhook.secret])
        try lab.store.write { db in try db.execute(sql: "UPDATE webhook SET url = ?", arguments: [first.url()]) }
        let keys = try lab.notify(20)
        try lab.startDeliverer()
        #expect(try await DeliveryLab.eventually(within: 20) { try lab.deliveredKeys().count == 20 }, "\(lab.delivererLog())")
        let before = try first.entries()
        #expect(Set(before.map(\.id)) == Set(keys))
        #expect(before.allSatisfy { $0.verified == [0] && $0.status == 204 && $0.signatures == 1 })
        #expect(before.allSatisfy { $0.type == "window_open" && $0.content_type == "application/json" })

        // Rotate: the receiver knows the old secret (index 0) and the new one (index 1).
        let rotated = try lab.ctl("webhook", "rotate-secret", String(webhook.id), "--json")
        #expect(rotated.status == 0, "\(rotated)")
        let newSecret = try #require(try JSONSerialization.jsonObject(with: Data(rotated.stdout.utf8)) as? [String: Any])["secret"] as? String
        let both = try await lab.receiver(secrets: [webhook.secret, try #require(newSecret)])
        try lab.store.write { db in try db.execute(sql: "UPDATE webhook SET url = ?", arguments: [both.url()]) }
        let during = try lab.notify(10)
        #expect(try await DeliveryLab.eventually(within: 20) { try lab.deliveredKeys().count == 30 }, "\(lab.delivererLog())")
        #expect(Set(try both.entries().map(\.id)) == Set(during))
        #expect(try both.entries().allSatisfy { $0.verified == [0, 1] && $0.signatures == 2 })

        // Rotate again with no overlap: only the newest secret signs.
        let again = try lab.ctl("webhook", "rotate-secret", String(webhook.id), "--overlap-hours", "0", "--json")
        #expect(again.status == 0, "\(again)")
        let newest = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])["secret"] as? String
        let after = try await lab.receiver(secrets: [try #require(newSecret), try #require(newest)])
        try lab.store.write { db in try db.execute(sql: "UPDATE webhook SET url = ?", arguments: [after.url()]) }
        try lab.notify(5)
        #expect(try await DeliveryLab.eventually(within: 20) { try lab.deliveredKeys().count == 35 }, "\(lab.delivererLog())")
        #expect(try after.entries().count == 5)
        #expect(try after.entries().allSatisfy { $0.verified == [1] && $0.signatures == 1 })

        // `webhook test` sends a signed ping.
        let ping = try lab.ctl("webhook", "test", String(webhook.id))
        #expect(ping.status == 0, "\(ping)")
        #expect(try after.entries().last.map { $0.type == "ping" && $0.verified == [1] && $0.id.hasPrefix("ping|webhook:") } == true)
        lab.stopDeliverer()
        #expect(lab.delivererLog().contains("delivery round:"))
    }

    /// DLV-2: 500s are retried with the same webhook-id until a 2xx; a receiver that is down or
    /// too slow is retried and gets everything once back; a 2xx is never sent again.
    @Test func failuresAreRetriedWithTheSameWebhookID() async throws {
        let lab = try DeliveryLab()
        defer { lab.tearDown() }
        let flaky = try await lab.receiver(secrets: [])
        let down = try await lab.receiver(secrets: [])
        let slow = try await lab.receiver(secrets: [])
        _ = try lab.addWebhook(url: flaky.url("fail-first/2"))
        let downHook = try lab.addWebhook(partner: "tailspin", url: down.url())
        _ = try lab.addWebhook(org: "contoso", url: slow.url("slow/4"))
        down.stop()
        let flakyKeys = try lab.notify(5)
        let downKeys = try lab.notify(5, partner: "tailspin")
        let slowKeys = try lab.notify(3, partner: nil, organisation: "contoso", audience: "customer_admins", kind: "update_available")
        try lab.startDeliverer()

        #expect(try await DeliveryLab.eventually(within: 30) { Set(try lab.deliveredKeys()).isSuperset(of: flakyKeys) }, "\(lab.delivererLog())")
        let flakyEntries = try flaky.entries()
        for key in flakyKeys {
            #expect(flakyEntries.filter { $0.id == key }.map(\.status) == [500, 500, 204], "\(key)")
        }
        // The receiver that is down: attempts fail (connection refused) and are rescheduled.
        #expect(try await DeliveryLab.eventually(within: 10) { try lab.deliveries(state: "failed").count >= 5 })
        let status = try lab.ctl("status", "--json")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let health = try #require((report["webhooks"] as? [[String: Any]])?.first { $0["webhook_id"] as? Int == Int(downHook.id) })
        #expect((health["consecutive_failures"] as? Int ?? 0) >= 1 && health["oldest_pending_at"] != nil, "\(health)")
        try await down.start()
        #expect(try await DeliveryLab.eventually(within: 30) { Set(try lab.deliveredKeys()).isSuperset(of: downKeys) }, "\(lab.delivererLog())")
        #expect(Set(try down.entries().map(\.id)) == Set(downKeys))

        // The slow receiver outlasts the 2 s timeout: attempts time out, then it answers fast.
        #expect(try await DeliveryLab.eventually(within: 15) {
            try lab.deliveries().filter { slowKeys.contains($0.key) }.allSatisfy { $0.attempts >= 1 && $0.state == "failed" }
        })
        let timedOut = try lab.ctl("deliveries", "--state", "failed", "--json")
        #expect(timedOut.stdout.contains("timed out"), "\(timedOut)")
        try slow.setMode("ok")
        #expect(try await DeliveryLab.eventually(within: 30) { Set(try lab.deliveredKeys()).isSuperset(of: slowKeys) }, "\(lab.delivererLog())")
        #expect(Set(try slow.entries().map(\.id)) == Set(slowKeys))
        #expect(try lab.deliveries().filter { slowKeys.contains($0.key) }.allSatisfy { $0.attempts >= 2 })

        // Nothing is sent again once delivered. (The slow receiver is left out: requests that
        // timed out on the deliverer's side are still logged when its handlers wake up.)
        let counts = [try flaky.entries().count, try down.entries().count]
        try await DeliveryLab.pause(3)
        #expect([try flaky.entries().count, try down.entries().count] == counts)
    }

    /// DLV-2: after the schedule runs out, dead letters, shown by `deliveries --state dead` and
    /// repaired by `deliveries redeliver`; 410 Gone disables the endpoint and tells the operator.
    @Test func deadLettersAndGone() async throws {
        let lab = try DeliveryLab(delivery: "give_up_after_seconds = 3")
        defer { lab.tearDown() }
        let failing = try await lab.receiver(secrets: [])
        let gone = try await lab.receiver(secrets: [])
        _ = try lab.addWebhook(url: failing.url("status/500"))
        let goneHook = try lab.addWebhook(partner: "tailspin", url: gone.url("status/410"))
        let keys = try lab.notify(2)
        try lab.notify(3, partner: "tailspin")
        try lab.startDeliverer()

        #expect(try await DeliveryLab.eventually(within: 20) { try lab.deliveries(state: "dead").count == 5 }, "\(lab.delivererLog())")
        let entries = try failing.entries()
        for key in keys {
            #expect(entries.filter { $0.id == key }.count >= 2, "retries of \(key)")
        }
        #expect(entries.allSatisfy { $0.status == 500 })
        // 410: the webhook is disabled after the first answer; only requests already in flight
        // (all three, at most) reach it, and nothing after.
        let goneEntries = try gone.entries()
        #expect((1...3).contains(goneEntries.count) && goneEntries.allSatisfy { $0.status == 410 }, "\(goneEntries.count)")
        let list = try lab.ctl("webhook", "list", "--json")
        let hooks = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(hooks.first { $0["id"] as? Int == Int(goneHook.id) }?["disabled_at"] != nil, "\(list)")
        #expect(lab.delivererLog().contains("answered 410 Gone: disabled"), "\(lab.delivererLog())")

        let dead = try lab.ctl("deliveries", "--partner", "northwind", "--state", "dead", "--json")
        let records = try #require(try JSONSerialization.jsonObject(with: Data(dead.stdout.utf8)) as? [[String: Any]])
        #expect(records.count == 2 && records.allSatisfy { ($0["last_status"] as? Int) == 500 && ($0["attempts"] as? Int ?? 0) >= 2 })

        try failing.setMode("ok")
        let id = try #require(records.first?["id"] as? Int)
        let redeliver = try lab.ctl("deliveries", "redeliver", String(id))
        #expect(redeliver.status == 0, "\(redeliver)")
        #expect(try await DeliveryLab.eventually(within: 10) { try lab.deliveredKeys().count == 1 }, "\(lab.delivererLog())")
        #expect(try gone.entries().count == goneEntries.count)
        let again = try lab.ctl("deliveries", "redeliver", String(id))
        #expect(again.status == 1 && again.stderr.contains("DLV-2"), "\(again)")
        let goneDelivery = try #require(try lab.deliveries(state: "dead").first { $0.key.contains("tailspin") })
        let refused = try lab.ctl("deliveries", "redeliver", String(goneDelivery.id))
        #expect(refused.status == 1 && refused.stderr.contains("disabled"), "\(refused)")
    }

    /// DLV-2 under crashes: the deliverer is killed with SIGKILL at 50 random moments. Every
    /// notification is delivered and verifies; none is received again after its 2xx was recorded.
    @Test(.timeLimit(.minutes(5))) func killedFiftyTimesDeliversEverythingOnce() async throws {
        let lab = try DeliveryLab()
        defer { lab.tearDown() }
        let secret = try lab.addWebhook(url: "http://127.0.0.1:9/").secret
        let verifying = try await lab.receiver(secrets: [secret])
        try lab.store.write { db in try db.execute(sql: "UPDATE webhook SET url = ?", arguments: [verifying.url("slow/0.02")]) }
        let keys = try lab.notify(400)
        // After each kill: what the store says was delivered, and how much the receiver had seen.
        var checkpoints: [(delivered: Set<String>, seen: Int)] = []
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            try lab.startDeliverer()
            try await DeliveryLab.pause(Double.random(in: 0.05...0.5, using: &generator))
            lab.stopDeliverer(signal: SIGKILL)
            checkpoints.append((try lab.deliveredKeys(), try verifying.entries().count))
        }
        try lab.startDeliverer()
        #expect(try await DeliveryLab.eventually(within: 60) { try lab.deliveredKeys().count == keys.count }, "\(lab.delivererLog())")
        lab.stopDeliverer()
        let entries = try verifying.entries()
        #expect(Set(entries.map(\.id)) == Set(keys))
        // A request cut short by the kill cannot verify; every complete one does.
        let unverified = entries.filter { $0.complete && $0.verified != [0] }
        #expect(unverified.isEmpty, "\(unverified)")
        #expect(Set(entries.filter { $0.complete && $0.status == 204 }.map(\.id)) == Set(keys))
        for (index, checkpoint) in checkpoints.enumerated() {
            let later = entries.dropFirst(checkpoint.seen).filter { checkpoint.delivered.contains($0.id) }
            #expect(later.isEmpty, "kill \(index + 1): \(later.count) delivery(ies) sent again after their 2xx was recorded")
        }
        let repeats = entries.count - Set(entries.map(\.id)).count
        print("kill -9 ×50: \(keys.count) notifications, \(entries.count) requests (\(entries.filter { !$0.complete }.count) cut short), "
              + "\(repeats) repeated (answered, not yet recorded at the kill); "
              + "delivered before the last run: \(checkpoints.last?.delivered.count ?? 0)")
        #expect(checkpoints.contains { !$0.delivered.isEmpty && $0.delivered.count < keys.count }, "the kills never landed mid-delivery")
    }

    /// DLV-3: a slow receiver holds only its own slots. Both receivers' latencies (commit of the
    /// notification to its arrival) are measured; the fast one's never approach the slow one's
    /// answer time, which they would if it queued behind it.
    @Test func aSlowReceiverDoesNotDelayAFastOne() async throws {
        let lab = try DeliveryLab(delivery: "request_timeout_seconds = 10\nper_endpoint_concurrency = 2")
        defer { lab.tearDown() }
        let slow = try await lab.receiver(secrets: [])
        let fast = try await lab.receiver(secrets: [])
        _ = try lab.addWebhook(url: slow.url("slow/3"))
        _ = try lab.addWebhook(partner: "tailspin", url: fast.url())
        try lab.startDeliverer()
        var written: [String: Double] = [:]
        for _ in 0..<8 {
            for key in try lab.notify(1) + (try lab.notify(3, partner: "tailspin")) { written[key] = Date().timeIntervalSince1970 }
            try await DeliveryLab.pause(0.25)
        }
        #expect(try await DeliveryLab.eventually(within: 30) { try lab.deliveredKeys().count == 32 }, "\(lab.delivererLog())")
        func latencies(_ receiver: Receiver) throws -> [Double] {
            try receiver.entries().compactMap { entry in written[entry.id].map { entry.t - $0 } }.sorted()
        }
        let slowLatencies = try latencies(slow)
        let fastLatencies = try latencies(fast)
        print(String(format: "latency commit → arrival: fast receiver median %.3f s, max %.3f s (%d); slow receiver median %.3f s, max %.3f s (%d)",
                     fastLatencies[fastLatencies.count / 2], fastLatencies.last ?? 0, fastLatencies.count,
                     slowLatencies[slowLatencies.count / 2], slowLatencies.last ?? 0, slowLatencies.count))
        #expect(fastLatencies.count == 24 && slowLatencies.count == 8)
        #expect((slowLatencies.last ?? 0) > 6, "the slow receiver's own queue builds up (2 at a time, 3 s each)")
        #expect((fastLatencies.last ?? 99) < 1.5, "the fast receiver waited behind the slow one")
    }

    /// DLV-1: who gets what — a partner webhook its admins' notifications, an organisation
    /// webhook its customer admins', filtered by kind, only what was written after registration.
    @Test func fanOutFollowsAudienceKindsAndRegistration() async throws {
        let lab = try DeliveryLab()
        defer { lab.tearDown() }
        try lab.notify(2)
        let partnerHook = try lab.addWebhook(url: "https://hooks.northwind.example/all")
        let onlyWindow = try lab.addWebhook(url: "https://hooks.northwind.example/window", kinds: "window_open")
        let orgHook = try lab.addWebhook(org: "contoso", url: "https://hooks.contoso.example/")
        let northwind = try lab.notify(2) + (try lab.notify(1, kind: "order_placed"))
        try lab.notify(2, partner: "tailspin")
        let contoso = try lab.notify(1, partner: nil, organisation: "contoso", audience: "customer_admins", kind: "update_available")
        try lab.notify(1, partner: nil, organisation: "fabrikam", audience: "customer_admins", kind: "update_available")
        // Three notifications per call: the two before registration and a window_open (two webhooks).
        let first = try lab.store.fanOutDeliveries(now: Date(), batch: 3)
        #expect(first.created == 2 && first.more)
        while try lab.store.fanOutDeliveries(now: Date(), batch: 3).more {}
        let rows = try lab.store.read { db in
            try Row.fetchAll(db, sql: "SELECT d.webhook_id, n.idempotency_key FROM delivery d JOIN notification n ON n.id = d.notification_id")
                .map { ($0["webhook_id"] as Int64, $0["idempotency_key"] as String) }
        }
        #expect(Set(rows.filter { $0.0 == partnerHook.id }.map(\.1)) == Set(northwind))
        #expect(Set(rows.filter { $0.0 == onlyWindow.id }.map(\.1)) == Set(northwind.filter { $0.hasPrefix("window_open") }))
        #expect(Set(rows.filter { $0.0 == orgHook.id }.map(\.1)) == Set(contoso))
        #expect(rows.count == 3 + 2 + 1)
    }

    /// DLV-5 and the CLI's refusals: nothing is written when a registration is refused.
    @Test func registrationsAreChecked() async throws {
        let lab = try DeliveryLab(delivery: "allowed_hosts = [\"relay.internal\"]")
        defer { lab.tearDown() }
        // Each refusal with its one documented status (docs/cli.md): 1 refused by a rule, 4 no such subject.
        let refusals: [([String], String, Int32)] = [
            (["--partner", "northwind", "--url", "http://hooks.example.com/"], "https", 1),
            (["--partner", "northwind", "--url", "https://169.254.169.254/latest"], "metadata", 1),
            (["--partner", "northwind", "--url", "https://10.1.2.3/"], "private", 1),
            (["--partner", "nobody", "--url", "https://hooks.example.com/"], "no partner", 4),
            (["--partner", "northwind", "--org", "fabrikam", "--url", "https://hooks.example.com/"], "manages no organisation", 1),
            (["--partner", "northwind", "--org", "nowhere", "--url", "https://hooks.example.com/"], "no organisation 'nowhere'", 4),
            (["--partner", "northwind", "--url", "https://hooks.example.com/", "--kinds", "update_available"], "never sent", 1),
            (["--partner", "northwind", "--url", "https://hooks.example.com/", "--kinds", "bogus"], "unknown notification kind", 1),
        ]
        for (arguments, message, status) in refusals {
            let result = try runProcess(builtExecutable("rolloutctl"), ["webhook", "add"] + arguments + ["--config", lab.config], in: lab.directory)
            #expect(result.status == status, "\(arguments): exit \(result.status), documented \(status): \(result)")
            #expect(result.stderr.contains(message), "\(arguments): \(result)")
        }
        #expect(try lab.store.webhooks().isEmpty)
        let allowed = try lab.addWebhook(url: "http://relay.internal/hook")
        let shown = try lab.ctl("webhook", "list")
        #expect(shown.stdout.contains("http://relay.internal/hook") && !shown.stdout.contains(allowed.secret))
        #expect(try lab.ctl("webhook", "remove", String(allowed.id)).status == 0)
        #expect(try lab.ctl("webhook", "remove", String(allowed.id)).status == 4, "no such webhook: exit 4 (issue #12)")
    }

    /// A delivery row in a state no build knows (a newer rolloutd, a hand edit past the CHECK) is
    /// an error that names the row, not a delivery silently shown as pending.
    @Test func anUnknownDeliveryStateNamesItsRow() async throws {
        let lab = try DeliveryLab()
        defer { lab.tearDown() }
        let webhook = try lab.addWebhook(url: "https://hooks.example.com/")
        try lab.notify(1)
        let id = try lab.store.write { db -> Int64 in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: """
                INSERT INTO delivery (webhook_id, notification_id, state, created_at, retry_from, next_attempt_at)
                SELECT ?, id, 'bogus', 1800000000, 1800000000, 1800000000 FROM notification
                """, arguments: [webhook.id])
            try db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
            return db.lastInsertedRowID
        }
        let listed = try lab.ctl("deliveries")
        #expect(listed.status != 0, "\(listed)")
        #expect(listed.stderr.contains("delivery row \(id): unknown state 'bogus'"), "\(listed)")
    }
}
