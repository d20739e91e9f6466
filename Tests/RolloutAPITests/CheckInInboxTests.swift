import Foundation
import GRDB
@testable import RolloutAPI
import RolloutCore
import RolloutStore
import RolloutEngine
import Testing

/// API-6: the inbox commits concurrent check-ins together, answers each only once its report
/// is in the file, and keeps the acknowledgements waiting in it in memory, rebuilt on start.
@Suite struct CheckInInboxTests {
    private func report(_ endpoint: String, acknowledged: [Int64] = []) -> CheckInReport {
        CheckInReport(endpoint: endpoint, at: Date(timeIntervalSince1970: 1_795_000_000), installedVersion: Version("45.8.0")!,
                      agentVersion: nil, osVersion: nil, acknowledged: acknowledged)
    }

    private func withDirectory(_ body: (URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rolloutd-inbox-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(directory)
    }

    @Test func concurrentAppendsAreAllInTheFileWhenAnswered() async throws {
        try await withDirectory { directory in
            let path = directory.appendingPathComponent("inbox.sqlite").path
            let inbox = try CheckInInbox(path: path)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask { try await inbox.append(report("e\(index % 7)", acknowledged: index % 2 == 0 ? [Int64(index)] : [])) }
                }
                try await group.waitForAll()
            }
            #expect(try await inbox.count() == 200)
            // Another connection sees every answered check-in: they are committed, not queued.
            let file = try DatabaseQueue(path: path)
            #expect(try await file.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM check_in") } == 200)
            #expect(inbox.acknowledged(endpoint: "e0") == Set((0..<200).filter { $0 % 2 == 0 && $0 % 7 == 0 }.map(Int64.init)))
            #expect(inbox.acknowledged(endpoint: "e1").count == 14)
        }
    }

    @Test func acknowledgementsWaitingInTheFileSurviveARestartAndLeaveWithTheDrain() async throws {
        try await withDirectory { directory in
            let path = directory.appendingPathComponent("inbox.sqlite").path
            let first = try CheckInInbox(path: path)
            try await first.append(report("contoso-e1", acknowledged: [7, 8]))
            try await first.append(report("contoso-e1", acknowledged: [8]))
            try await first.append(report("contoso-e2"))
            #expect(first.acknowledged(endpoint: "contoso-e1") == [7, 8])
            #expect(first.acknowledged(endpoint: "contoso-e2").isEmpty)

            let restarted = try CheckInInbox(path: path)
            #expect(restarted.acknowledged(endpoint: "contoso-e1") == [7, 8])

            let store = try Store(path: directory.appendingPathComponent("rolloutd.sqlite").path)
            _ = try store.apply(try APIHarness.sampleState(), at: APIHarness.start)
            let blocking = Blocking.start()
            #expect(try await restarted.drain(into: store, blocking: blocking, usage: TokenUsage(), limit: 2) == 2)
            #expect(restarted.acknowledged(endpoint: "contoso-e1").isEmpty, "both acknowledging check-ins left the inbox")
            #expect(try await restarted.drain(into: store, blocking: blocking, usage: TokenUsage(), limit: 2) == 1)
            #expect(try await restarted.count() == 0)
            try await blocking.shutdown()
        }
    }
}
