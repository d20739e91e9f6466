import Foundation
import Logging
import Testing

@testable import RolloutSystemd

extension ProcessLevelTests {
    /// DMN-5 end to end: entries written by `JournalLogHandler` in this process, read back from a
    /// real journald with `journalctl -o json`.
    @Suite struct JournalLogHandlerTests {
        static let wakeMessageID = "8a70321d43144265a51bc71aea0388c8"

        @Test func entriesReachJournaldWithPriorityMessageIDAndOperatorFields() throws {
            let marker = UUID().uuidString
            var handler = JournalLogHandler(identifier: "rolloutd-test", logLevel: .trace)
            handler[metadataKey: "rollout.test-marker"] = "\(marker)"
            handler[metadataKey: "rollout.partner"] = "set-on-handler"
            handler[metadataKey: "component"] = "scheduler"
            let logger = Logger(label: "rolloutd.test") { _ in handler }

            let (entries, wakeLine) = try Journald.withJournald {
                let wakeLine = #line + 1
                logger.info("wake processed", metadata: [
                    "MESSAGE_ID": "\(Self.wakeMessageID)",
                    "rollout.partner": "acme",
                    "rollout.org": .stringConvertible(42),
                    "rollout.late": "endpoint e1\nendpoint e2",
                ])
                logger.trace("level trace")
                logger.debug("level debug")
                logger.notice("level notice")
                logger.warning("level warning")
                logger.error("level error")
                logger.critical("level critical")
                return (try Journald.entries(matching: "ROLLOUT_TEST_MARKER", marker), wakeLine)
            }

            let byMessage = Dictionary(entries.compactMap { entry in Journald.text(entry, "MESSAGE").map { ($0, entry) } }) { first, _ in first }
            #expect(entries.count == 7)

            let wake = try #require(byMessage["wake processed"])
            #expect(Journald.text(wake, "PRIORITY") == "6")
            #expect(Journald.text(wake, "MESSAGE_ID") == Self.wakeMessageID)
            #expect(Journald.text(wake, "ROLLOUT_PARTNER") == "acme")
            #expect(Journald.text(wake, "ROLLOUT_ORG") == "42")
            #expect(Journald.text(wake, "ROLLOUT_LATE") == "endpoint e1\nendpoint e2")
            #expect(Journald.text(wake, "COMPONENT") == "scheduler")
            #expect(Journald.text(wake, "SYSLOG_IDENTIFIER") == "rolloutd-test")
            #expect(Journald.text(wake, "CODE_FILE")?.hasSuffix("JournalLogHandlerTests.swift") == true)
            #expect(Journald.text(wake, "CODE_LINE") == "\(wakeLine)")
            #expect(Journald.text(wake, "CODE_FUNC")?.hasPrefix("entriesReachJournald") == true)
            #expect(Journald.text(wake, "_PID") == "\(getpid())")

            let priorities = [("trace", "7"), ("debug", "7"), ("notice", "5"), ("warning", "4"), ("error", "3"), ("critical", "2")]
            for (level, priority) in priorities {
                let entry = byMessage["level \(level)"]
                #expect(entry.flatMap { Journald.text($0, "PRIORITY") } == priority, "level \(level)")
                #expect(entry.flatMap { Journald.text($0, "ROLLOUT_PARTNER") } == "set-on-handler", "level \(level)")
            }
        }
    }
}
