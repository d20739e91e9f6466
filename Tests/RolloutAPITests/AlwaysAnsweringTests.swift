import Foundation
import GRDB
import RolloutCore
import RolloutStore
import RolloutEngine
import Testing

/// API-6: while another connection holds the database's write lock, as the scheduler does for
/// the whole of a wake, check-ins are still accepted and answered; the inbox drains once the lock
/// is released. A console write that outwaits the busy timeout gets a 503 with Retry-After —
/// never "database is locked", never a 500.
@Suite(.serialized) struct AlwaysAnsweringTests {
    @Test func checkInsAreAnsweredWhileAWakeHoldsTheWriteLock() async throws {
        try await APIHarness.with { harness in
            let wake = try DatabaseQueue(path: harness.databasePath)
            let locked = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            let holder = Thread {
                try? wake.inTransaction(.immediate) { db in
                    try db.execute(sql: "UPDATE clock SET processed_through = processed_through")
                    locked.signal()
                    release.wait()
                    return .commit
                }
            }
            holder.start()
            await withCheckedContinuation { continuation in
                Thread { locked.wait(); continuation.resume() }.start()
            }
            let endpoints = (1...6).map { "contoso-e\($0)" }
            let answers = try await withThrowingTaskGroup(of: HTTPResult.self) { group in
                for round in 0..<10 {
                    for endpoint in endpoints {
                        group.addTask {
                            try await harness.call("POST", "/v1/endpoints/\(endpoint)/check-in", as: "agent",
                                                   body: #"{"installed_version":"45.9.\#(round)"}"#)
                        }
                    }
                }
                var all: [HTTPResult] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            #expect(answers.count == 60)
            #expect(answers.allSatisfy { $0.status == 200 }, "\(answers.filter { $0.status != 200 }.map(\.text))")
            #expect(try await harness.call("GET", "/v1/health", as: nil).object["inbox_backlog"] as? Int == 60)

            let console = try await harness.call("PUT", "/v1/organisations/contoso/schedule", as: "partner", body: #"{"cadence":"slow"}"#)
            #expect(console.status == 503, "\(console.text)")
            #expect(console.headers["retry-after"] == "5")
            #expect(console.object["rule"] as? String == "API-6")
            #expect(!(console.object["detail"] as? String ?? "").contains("database is locked"))

            release.signal()
            try await harness.server.drainInbox()
            #expect(try harness.count("endpoint", where: "id LIKE 'contoso-e%' AND installed_version LIKE '45.9.%' AND last_check_in = \(Instant.seconds(harness.now))") == 6,
                    "every endpoint's check-ins reached the database")
            #expect(try await harness.call("GET", "/v1/health", as: nil).object["inbox_backlog"] as? Int == 0)
        }
    }
}
