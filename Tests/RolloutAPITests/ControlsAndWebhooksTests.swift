import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutStore
import RolloutEngine
import Testing

/// Pause and resume (OPS-1), cancelling a change (OPS-2) and a partner's webhooks (DLV-1, DLV-5)
/// through the API: each write is the engine call `rolloutctl` makes, refused with the same
/// words and rule, and `rolloutctl history` shows the token as its actor (API-2).
@Suite(.serialized) struct ControlsAndWebhooksTests {
    /// `rolloutctl history --json` on the harness's database: the real CLI reading the audit trail.
    static func cliHistory(_ harness: APIHarness, _ arguments: String...) async throws -> [[String: Any]] {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("rolloutctl").path
        let result = try await Subprocess.run(binary, ["history", "--json", "--config", harness.directory.appendingPathComponent("rolloutd.toml").path]
                                                + arguments)
        try #require(result.status == 0, "rolloutctl history: \(result.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
    }

    /// The `request` entries of a history, as `action → after` ("requested by token '…' (ID, role)").
    static func requests(_ entries: [[String: Any]]) -> [(action: String, subject: String, actor: String)] {
        entries.filter { $0["type"] as? String == "request" }.map {
            ($0["rule"] as? String ?? "", $0["subject"] as? String ?? "", $0["after"] as? String ?? "")
        }
    }

    static func tokenID(_ harness: APIHarness, _ name: String) throws -> String {
        try #require(try harness.store.tokens().first { $0.name == name }).id
    }

    @Test func pauseAndResumeAreTheCLIsWithTheTokenAsActor() async throws {
        try await APIHarness.with { harness in
            let id = try Self.tokenID(harness, "partner")
            let paused = try await harness.call("POST", "/v1/partners/northwind/pause", as: "partner",
                                                body: #"{"org":"contoso","what":"programme","reason":"agent 14.2 crashes on boot"}"#)
            #expect(paused.status == 201, "\(paused.text)")
            let pauses = try #require(paused.object["pauses"] as? [[String: Any]])
            #expect(pauses.count == 1)
            #expect(pauses.first?["scope"] as? String == "organisation:contoso")
            #expect(pauses.first?["what"] as? String == "programme")
            #expect(pauses.first?["actor"] as? String == "token 'partner' (\(id))")
            // The engine's record: what `status` and the wake rules read.
            let active = try harness.store.activePauses(partner: "northwind")
            #expect(active.map(\.scope) == ["organisation:contoso"])
            #expect(active.first?.since == harness.now)

            // The same refusal as `rolloutctl pause` on a scope already paused, nothing written.
            let before = try harness.snapshot()
            let again = try await harness.call("POST", "/v1/partners/northwind/pause", as: "partner",
                                               body: #"{"org":"contoso","what":"all","reason":"again"}"#)
            #expect(again.status == 409, "\(again.text)")
            #expect(again.object["rule"] as? String == "OPS-1")
            #expect((again.object["detail"] as? String)?.contains("already paused") == true)
            let noReason = try await harness.call("POST", "/v1/partners/northwind/pause", as: "partner", body: #"{"reason":"  "}"#)
            #expect(noReason.status == 409, "\(noReason.text)")
            #expect(noReason.object["rule"] as? String == "OPS-1")
            let badArea = try await harness.call("POST", "/v1/partners/northwind/pause", as: "partner", body: #"{"reason":"x","what":"everything"}"#)
            #expect(badArea.status == 422)
            #expect(try harness.snapshot() == before)

            // Resume exactly that scope, an hour later; the partner-wide scope is not paused.
            harness.advance(to: harness.now.addingTimeInterval(3_600))
            let wrongScope = try await harness.call("POST", "/v1/partners/northwind/resume", as: "partner")
            #expect(wrongScope.status == 409, "\(wrongScope.text)")
            #expect(wrongScope.object["rule"] as? String == "OPS-1")
            let resumed = try await harness.call("POST", "/v1/partners/northwind/resume", as: "partner", body: #"{"org":"contoso"}"#)
            #expect(resumed.status == 200, "\(resumed.text)")
            #expect((resumed.object["pauses"] as? [[String: Any]])?.first?["resumed_by"] as? String == "token 'partner' (\(id))")
            #expect(try harness.store.activePauses(partner: "northwind").isEmpty)

            let requests = Self.requests(try await Self.cliHistory(harness, "--org", "contoso"))
            #expect(requests.map(\.action) == ["pause", "resume"], "\(requests)")
            #expect(requests.allSatisfy { $0.subject == "organisation:contoso" && $0.actor == "requested by token 'partner' (\(id), partner)" })
        }
    }

    @Test func cancellingAChangeIsTheCLIsForTheSideThatMaySetIt() async throws {
        try await APIHarness.with { harness in
            let customerID = try Self.tokenID(harness, "customer")
            let requested = try await harness.call("PUT", "/v1/organisations/contoso/schedule", as: "customer",
                                                   body: #"{"cadence":"slow","defer_weeks":6}"#)
            #expect(requested.status == 202, "\(requested.text)")
            let change = try #require(requested.object["id"] as? Int)
            let partnerLevel = try await harness.call("PUT", "/v1/partners/northwind/schedule", as: "partner", body: #"{"cadence":"slow"}"#)
            let partnerChange = try #require(partnerLevel.object["id"] as? Int)

            // CAD-4 through OPS-2: a customer never cancels a partner-level request — and does not
            // even see it: it is another scope's subject, the same 404 as a missing id.
            let foreign = try await harness.call("DELETE", "/v1/changes/\(partnerChange)", as: "customer")
            #expect(foreign.status == 404, "\(foreign.text)")

            let cancelled = try await harness.call("DELETE", "/v1/changes/\(change)", as: "customer")
            #expect(cancelled.status == 200, "\(cancelled.text)")
            #expect(cancelled.object["cancelled_by"] as? String == "customer")
            #expect(cancelled.object["subject"] as? String == "organisation:contoso")
            #expect(try harness.count("schedule_change", where: "id = \(change) AND cancelled_at IS NOT NULL AND cancelled_by = 'customer'") == 1)
            // The pending list no longer holds it.
            let pending = try await harness.call("GET", "/v1/changes", as: "customer")
            #expect(pending.count("changes") == 0, "\(pending.text)")

            let before = try harness.snapshot()
            let twice = try await harness.call("DELETE", "/v1/changes/\(change)", as: "partner")
            #expect(twice.status == 409)
            #expect(twice.object["rule"] as? String == "OPS-2")
            #expect((twice.object["detail"] as? String)?.contains("already cancelled") == true)
            #expect(try harness.snapshot() == before)

            let byPartner = try await harness.call("DELETE", "/v1/changes/\(partnerChange)", as: "partner")
            #expect(byPartner.status == 200, "\(byPartner.text)")
            #expect(byPartner.object["cancelled_by"] as? String == "partner")

            let requests = Self.requests(try await Self.cliHistory(harness, "--org", "contoso"))
            #expect(requests.map(\.action) == ["schedule.set", "change.cancel"], "\(requests)")
            #expect(requests.last?.actor == "requested by token 'customer' (\(customerID), customer)")
            let partnerRequests = Self.requests(try await Self.cliHistory(harness, "--partner", "northwind"))
            #expect(partnerRequests.last.map { $0.action == "change.cancel" && $0.subject == "partner:northwind" } == true, "\(partnerRequests)")
        }
    }

    @Test func webhooksAreTheCLIsWithSecretsShownOnce() async throws {
        try await APIHarness.with { harness in
            let id = try Self.tokenID(harness, "partner")
            let added = try await harness.call("POST", "/v1/partners/northwind/webhooks", as: "partner",
                                               body: #"{"url":"https://hooks.northwind.example/rolloutd","org":"contoso","kinds":["update_available"]}"#)
            #expect(added.status == 201, "\(added.text)")
            let secret = try #require(added.object["secret"] as? String)
            #expect(secret.hasPrefix("whsec_"))
            let webhook = try #require(added.object["id"] as? Int)
            #expect(added.object["organisation_id"] as? String == "contoso")
            #expect(added.object["kinds"] as? [String] == ["update_available"])
            // Stored by the store call the CLI makes, with the secret the answer showed.
            #expect(try harness.store.signingSecrets(webhook: Int64(webhook), now: harness.now).current == secret)

            // DLV-5's address policy and DLV-1's kinds, as `rolloutctl webhook add` refuses them.
            let before = try harness.snapshot()
            for (body, rule) in [(#"{"url":"http://hooks.example.com/"}"#, "DLV-5"), (#"{"url":"https://10.0.0.7/hook"}"#, "DLV-5"),
                                 (#"{"url":"https://169.254.169.254/latest"}"#, "DLV-5"), (#"{"url":"not a url"}"#, "DLV-5"),
                                 (#"{"url":"https://hooks.example.com/","kinds":["bogus"]}"#, "DLV-1")] {
                let refused = try await harness.call("POST", "/v1/partners/northwind/webhooks", as: "partner", body: body)
                #expect(refused.status == 409, "\(body): \(refused.text)")
                #expect(refused.object["rule"] as? String == rule, "\(body): \(refused.text)")
            }
            let foreignOrg = try await harness.call("POST", "/v1/partners/northwind/webhooks", as: "partner",
                                                    body: #"{"url":"https://hooks.example.com/","org":"lamna"}"#)
            #expect(foreignOrg.status == 404)
            #expect(try harness.snapshot() == before)

            // The list never shows a secret.
            let listed = try await harness.call("GET", "/v1/partners/northwind/webhooks", as: "partner")
            #expect(listed.status == 200)
            #expect(!listed.text.contains("whsec_") && !listed.text.contains("secret\""), "\(listed.text)")
            #expect(listed.count("webhooks") == 1)

            // Rotation: a new secret, the old one still signs during the overlap (DLV-5).
            let rotated = try await harness.call("POST", "/v1/partners/northwind/webhooks/\(webhook)/rotate-secret", as: "partner",
                                                 body: #"{"overlap_hours":2}"#)
            #expect(rotated.status == 200, "\(rotated.text)")
            let newSecret = try #require(rotated.object["secret"] as? String)
            #expect(newSecret != secret)
            #expect(try harness.store.signingSecrets(webhook: Int64(webhook), now: harness.now).all == [newSecret, secret])
            #expect(try harness.store.signingSecrets(webhook: Int64(webhook), now: harness.now.addingTimeInterval(7_201)).all == [newSecret])

            // A test ping is queued for the deliverer; asking again while it waits queues no second.
            let test = try await harness.call("POST", "/v1/partners/northwind/webhooks/\(webhook)/test", as: "partner")
            #expect(test.status == 202, "\(test.text)")
            #expect((test.object["ping"] as? [String: Any])?["requested_by"] as? String == "token 'partner' (\(id))")
            let repeated = try await harness.call("POST", "/v1/partners/northwind/webhooks/\(webhook)/test", as: "partner", body: "{}")
            #expect((repeated.object["ping"] as? [String: Any])?["id"] as? Int == (test.object["ping"] as? [String: Any])?["id"] as? Int)
            #expect(try harness.count("webhook_ping") == 1)
            let withPing = try await harness.call("GET", "/v1/partners/northwind/webhooks", as: "partner")
            #expect(((withPing.object["webhooks"] as? [[String: Any]])?.first?["last_ping"] as? [String: Any])?["sent_at"] == nil)

            let removed = try await harness.call("DELETE", "/v1/partners/northwind/webhooks/\(webhook)", as: "partner")
            #expect(removed.status == 204)
            #expect(try harness.store.webhooks(partner: "northwind").isEmpty)
            let gone = try await harness.call("POST", "/v1/partners/northwind/webhooks/\(webhook)/test", as: "partner")
            #expect(gone.status == 404)

            let requests = Self.requests(try await Self.cliHistory(harness, "--partner", "northwind"))
            #expect(requests.map(\.action) == ["webhook.add", "webhook.rotate_secret", "webhook.test", "webhook.test", "webhook.remove"],
                    "\(requests)")
            #expect(requests.allSatisfy { $0.actor == "requested by token 'partner' (\(id), partner)" })
        }
    }

    /// API-1 inside the partner's own path: another partner's webhook is the same 404 as a
    /// missing one, whether the path names the token's partner or the other.
    @Test func anotherPartnersWebhookIsNotFound() async throws {
        try await APIHarness.with { harness in
            let theirs = try await harness.call("POST", "/v1/partners/bleu/webhooks", as: "otherPartner", body: #"{"url":"https://bleu.example/h"}"#)
            let id = try #require(theirs.object["id"] as? Int)
            let before = try harness.snapshot()
            for (method, suffix) in [("DELETE", ""), ("POST", "/rotate-secret"), ("POST", "/test")] {
                for partner in ["northwind", "bleu"] {
                    let answer = try await harness.call(method, "/v1/partners/\(partner)/webhooks/\(id)\(suffix)", as: "partner")
                    #expect(answer.status == 404, "\(method) \(partner)/\(id)\(suffix): \(answer.text)")
                    #expect(!answer.text.contains("bleu.example"))
                }
            }
            let list = try await harness.call("GET", "/v1/partners/bleu/webhooks", as: "partner")
            #expect(list.status == 404)
            #expect(try harness.snapshot() == before)
        }
    }
}
