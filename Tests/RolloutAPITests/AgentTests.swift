import Foundation
import GRDB
import RolloutCore
import RolloutStore
import RolloutEngine
import Testing

/// API-3: the agent's polling contract, end to end through the real server and the engine.
@Suite(.serialized) struct AgentTests {
    @Test func checkInAnswersTheSchedulersTargetAndRecordsTheReportThroughTheInbox() async throws {
        try await APIHarness.with { harness in
            try harness.runWakes()
            let target = try harness.store.read { db in
                try Row.fetchOne(db, sql: """
                    SELECT e.target_version, b.file, b.sha256 FROM endpoint e JOIN release_build b
                    ON b.version = e.target_version AND b.platform = e.platform WHERE e.id = 'contoso-e1'
                    """)
            }
            let expected = try #require(target, "the scheduler gave contoso-e1 no target")
            let answer = try await harness.call("POST", "/v1/endpoints/contoso-e1/check-in", as: "agent", body: """
                {"installed_version":"45.9.0","agent_generation":"legacy","agent_version":"14.4.0","os":"10.0.26100","platform":"windows"}
                """)
            #expect(answer.status == 200, "\(answer.text)")
            let body = answer.object
            let answeredTarget = body["target"] as? [String: Any]
            #expect(answeredTarget?["version"] as? String == expected["target_version"])
            let build = answeredTarget?["build"] as? [String: Any]
            #expect(build?["file"] as? String == expected["file"])
            #expect(build?["sha256"] as? String == expected["sha256"])
            #expect(body["installed_version"] as? String == "45.8.0", "answered from the committed state")
            let next = try #require((body["next_check_in_at"] as? String).flatMap(Instant.parse))
            #expect(next > harness.now && next <= harness.now.addingTimeInterval(3_600))

            // Accepted into the inbox; the database sees it once drained.
            let health = try await harness.call("GET", "/v1/health", as: nil)
            #expect(health.object["inbox_backlog"] as? Int == 1)
            try await harness.server.drainInbox()
            let row = try #require(try harness.store.read { db in
                try Row.fetchOne(db, sql: "SELECT installed_version, agent_version, os_version, last_check_in FROM endpoint WHERE id = 'contoso-e1'")
            })
            #expect(row["installed_version"] == "45.9.0")
            #expect(row["agent_version"] == "14.4.0")
            #expect(row["os_version"] == "10.0.26100")
            #expect(row["last_check_in"] == Instant.seconds(harness.now))
            #expect(try harness.count("decision", where: "rule = 'report' AND subject_id = 'contoso-e1'") == 1)
            #expect(try harness.count("retarget_request", where: "scope = 'endpoint:contoso-e1'") == 1)
            #expect(try harness.count("api_token", where: "name = 'agent' AND last_used_at = \(Instant.seconds(harness.now))") == 1)

            // The same check-in again changes nothing more (API-3: retries are idempotent).
            _ = try await harness.call("POST", "/v1/endpoints/contoso-e1/check-in", as: "agent", body: #"{"installed_version":"45.9.0"}"#)
            try await harness.server.drainInbox()
            #expect(try harness.count("decision", where: "rule = 'report' AND subject_id = 'contoso-e1'") == 1)
        }
    }

    @Test func aWrongPlatformIsRefusedAndNothingIsQueued() async throws {
        try await APIHarness.with { harness in
            let answer = try await harness.call("POST", "/v1/endpoints/contoso-e1/check-in", as: "agent",
                                                body: #"{"installed_version":"45.9.0","platform":"ios"}"#)
            #expect(answer.status == 422)
            #expect((answer.object["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/platform")
            #expect(try await harness.call("GET", "/v1/health", as: nil).object["inbox_backlog"] as? Int == 0)
        }
    }

    @Test func endUserNotificationsTravelUntilAcknowledged() async throws {
        try await APIHarness.with { harness in
            let mine = try harness.notification(key: "eu-1", audience: "end_user", partner: "northwind", organisation: "contoso",
                                                endpoint: "contoso-e1")
            let other = try harness.notification(key: "eu-2", audience: "end_user", partner: "northwind", organisation: "contoso",
                                                 endpoint: "contoso-e2")
            try harness.notification(key: "admins", audience: "customer_admins", partner: "northwind", organisation: "contoso")
            let first = try await harness.call("POST", "/v1/endpoints/contoso-e1/check-in", as: "agent", body: #"{"installed_version":"45.8.0"}"#)
            #expect((first.object["notifications"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [Int(mine)])

            // Acknowledging another endpoint's notification does nothing to it.
            let ack = try await harness.call("POST", "/v1/endpoints/contoso-e1/check-in", as: "agent",
                                             body: #"{"installed_version":"45.8.0","acknowledged_notifications":[\#(mine),\#(other)]}"#)
            #expect((ack.object["notifications"] as? [Any])?.isEmpty == true, "acknowledged, not yet drained: not sent again")
            try await harness.server.drainInbox()
            #expect(try harness.count("end_user_delivery") == 1)
            #expect(try harness.count("end_user_delivery", where: "notification_id = \(mine)") == 1)
            let after = try await harness.call("POST", "/v1/endpoints/contoso-e1/check-in", as: "agent", body: #"{"installed_version":"45.8.0"}"#)
            #expect((after.object["notifications"] as? [Any])?.isEmpty == true)
            let second = try await harness.call("POST", "/v1/endpoints/contoso-e2/check-in", as: "agent", body: #"{"installed_version":"45.8.0"}"#)
            #expect((second.object["notifications"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [Int(other)])
        }
    }

    @Test func eventsGoThroughTheLifecycleOnceAndNameTheirActor() async throws {
        try await APIHarness.with { harness in
            try harness.notify(endpoint: "contoso-e1", organisation: "contoso", partner: "northwind")
            let checkIn = try await harness.call("POST", "/v1/endpoints/contoso-e1/check-in", as: "agent", body: #"{"installed_version":"45.8.0"}"#)
            let upgrade = checkIn.object["upgrade"] as? [String: Any]
            #expect(upgrade?["state"] as? String == "notified")
            #expect(upgrade?["actions"] as? [String] == ["deferred", "upgrade_now"])
            #expect(upgrade?["defer_until"] as? String == Instant.format(harness.now.addingTimeInterval(7 * 86_400)))

            let event = #"{"event_id":"evt-1","event":"deferred"}"#
            let first = try await harness.call("POST", "/v1/endpoints/contoso-e1/events", as: "agent", body: event)
            #expect(first.status == 200, "\(first.text)")
            #expect(first.object["state"] as? String == "deferred")
            #expect(first.object["replayed"] as? Bool == false)
            let retry = try await harness.call("POST", "/v1/endpoints/contoso-e1/events", as: "agent", body: event)
            #expect(retry.status == 200)
            #expect(retry.object["replayed"] as? Bool == true)
            #expect(try harness.count("decision", where: "rule = 'UPG-6' AND subject_id = 'contoso-e1'") == 1)

            let refused = try await harness.call("POST", "/v1/endpoints/contoso-e1/events", as: "agent",
                                                 body: #"{"event_id":"evt-2","event":"restart_done"}"#)
            #expect(refused.status == 409)
            #expect(refused.object["rule"] as? String == "UPG-6")
            #expect(try harness.count("request_audit", where: "request_key = 'evt-2'") == 0, "a refused event leaves no audit line")

            let history = try await harness.call("GET", "/v1/history?org=contoso", as: "partner")
            let requests = (history.object["entries"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "request" }
            #expect(requests.count == 1)
            #expect(requests.first?["rule"] as? String == "endpoint.deferred")
            #expect((requests.first?["after"] as? String)?.contains("token 'agent'") == true)
        }
    }
}
