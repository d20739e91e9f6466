import Foundation
import Logging
import Testing

@testable import RolloutSystemd

/// DMN-5: what the handlers put in an entry, checked without journald.
@Suite struct LogHandlerFormattingTests {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "store locked" }
    }

    static func event(
        _ level: Logger.Level = .info,
        _ message: Logger.Message = "wake processed",
        metadata: Logger.Metadata? = nil,
        error: (any Error)? = nil
    ) -> LogEvent {
        LogEvent(
            level: level, message: message, error: error, metadata: metadata, source: "RolloutDaemon",
            file: "RolloutDaemon/Loop.swift", function: "run()", line: 42
        )
    }

    @Test(arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priorityFollowsSyslog(level: Logger.Level, priority: Int) {
        #expect(JournalLogHandler.priority(level) == priority)
        let handler = JournalLogHandler(identifier: "rolloutd")
        let record = LogRecord(event: Self.event(level), handlerMetadata: [:], provider: nil)
        #expect(handler.fields(for: record).contains("PRIORITY=\(priority)"))
    }

    @Test func journalFieldsCarryMessageCodeLocationAndSanitisedMetadata() {
        var handler = JournalLogHandler(identifier: "rolloutd")
        handler[metadataKey: "rollout.partner"] = "from-handler"
        handler[metadataKey: "component"] = "scheduler"
        let record = LogRecord(
            event: Self.event(metadata: [
                "rollout.partner": "acme",
                "rollout.org": .stringConvertible(42),
                "MESSAGE_ID": "8a70321d43144265a51bc71aea0388c8",
                "counts": ["applied": "3", "skipped": .stringConvertible(1)],
                "late": ["e1", "e2"],
            ]),
            handlerMetadata: handler.metadata,
            provider: nil
        )
        #expect(handler.fields(for: record) == [
            "MESSAGE=wake processed",
            "PRIORITY=6",
            "SYSLOG_IDENTIFIER=rolloutd",
            "CODE_FILE=RolloutDaemon/Loop.swift",
            "CODE_LINE=42",
            "CODE_FUNC=run()",
            "COMPONENT=scheduler",
            "COUNTS=[applied: 3, skipped: 1]",
            "LATE=[e1, e2]",
            "MESSAGE_ID=8a70321d43144265a51bc71aea0388c8",
            "ROLLOUT_ORG=42",
            "ROLLOUT_PARTNER=acme",
        ])
    }

    @Test func metadataCannotReplaceTheHandlersOwnFields() {
        let handler = JournalLogHandler(identifier: "rolloutd")
        let record = LogRecord(
            event: Self.event(metadata: ["message": "other", "priority": "0", "syslog.identifier": "x"]),
            handlerMetadata: [:], provider: nil
        )
        let fields = handler.fields(for: record)
        #expect(fields.filter { $0.hasPrefix("MESSAGE=") } == ["MESSAGE=wake processed"])
        #expect(fields.filter { $0.hasPrefix("PRIORITY=") } == ["PRIORITY=6"])
        #expect(fields.contains("METADATA_MESSAGE=other"))
        #expect(fields.contains("METADATA_PRIORITY=0"))
        #expect(fields.contains("METADATA_SYSLOG_IDENTIFIER=x"))
    }

    @Test func callMetadataWinsOverProviderWhichWinsOverHandler() {
        let provider = Logger.MetadataProvider { ["a": "provider", "b": "provider"] }
        let record = LogRecord(
            event: Self.event(metadata: ["a": "call"]),
            handlerMetadata: ["a": "handler", "b": "handler", "c": "handler"],
            provider: provider
        )
        #expect(record.metadata == ["a": "call", "b": "provider", "c": "handler"])
    }

    @Test func anAttachedErrorBecomesAnErrorEntry() {
        let record = LogRecord(event: Self.event(.error, error: Failure()), handlerMetadata: [:], provider: nil)
        #expect(JournalLogHandler(identifier: "rolloutd").fields(for: record).contains("ERROR=store locked"))
    }

    @Test func stderrLineIsTimestampLevelIdentifierMessageAndSortedKeys() {
        let record = LogRecord(
            event: Self.event(metadata: ["rollout.partner": "acme", "count": "3", "note": "two words", "empty": ""]),
            handlerMetadata: [:], provider: nil
        )
        // 2026-03-09T15:00:00Z
        let line = StderrLogHandler.line(for: record, identifier: "rolloutd", at: 1_773_068_400)
        #expect(line == "2026-03-09T15:00:00Z info rolloutd: wake processed count=3 empty=\"\" note=\"two words\" rollout.partner=acme\n")
    }

    @Test func stderrValuesWithSeparatorsAreQuoted() {
        #expect(StderrLogHandler.quotedIfNeeded("acme") == "acme")
        #expect(StderrLogHandler.quotedIfNeeded("a=b") == "\"a=b\"")
        #expect(StderrLogHandler.quotedIfNeeded("say \"hi\"") == "\"say \\\"hi\\\"\"")
        #expect(StderrLogHandler.quotedIfNeeded("two\nlines") == "\"two\\nlines\"")
    }

    @Test func timestampIsUTCWhateverTheZone() {
        #expect(StderrLogHandler.timestamp(0) == "1970-01-01T00:00:00Z")
        #expect(StderrLogHandler.timestamp(1_795_256_355) == "2026-11-21T10:19:15Z")
    }

    @Test func bootstrapFactoryPicksTheHandlerForTheDestination() {
        let journal = makeLogHandler(identifier: "rolloutd", level: .notice, destination: .journal)
        let stderr = makeLogHandler(identifier: "rolloutd", level: .debug, destination: .stderr)
        #expect((journal as? JournalLogHandler)?.identifier == "rolloutd")
        #expect(journal.logLevel == .notice)
        #expect(stderr is StderrLogHandler)
        #expect(stderr.logLevel == .debug)
    }
}

/// DMN-5: journal under systemd, stderr elsewhere, decided from JOURNAL_STREAM and fstat(2).
@Suite struct LogDestinationTests {
    /// A file whose device and inode the tests know, standing in for stderr.
    static func withStream(_ body: (Int32, String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rolloutd-stream-\(UUID())").path
        let descriptor = open(path, O_CREAT | O_RDWR, 0o600)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        var status = stat()
        try #require(fstat(descriptor, &status) == 0)
        try body(descriptor, "\(status.st_dev):\(status.st_ino)")
    }

    @Test func journalWhenJournalStreamMatchesTheDescriptor() throws {
        try Self.withStream { descriptor, identity in
            #expect(LogDestination.detect(environment: ["JOURNAL_STREAM": identity], descriptor: descriptor) == .journal)
        }
    }

    @Test func stderrWhenTheStreamWasRedirectedElsewhere() throws {
        try Self.withStream { descriptor, identity in
            let inherited = identity.split(separator: ":").first! + ":1"
            #expect(LogDestination.detect(environment: ["JOURNAL_STREAM": String(inherited)], descriptor: descriptor) == .stderr)
        }
    }

    @Test(arguments: [[:], ["JOURNAL_STREAM": ""], ["JOURNAL_STREAM": "8:"], ["JOURNAL_STREAM": "a:b"], ["JOURNAL_STREAM": "1:2:3"]])
    func stderrWithoutAUsableJournalStream(environment: [String: String]) throws {
        try Self.withStream { descriptor, _ in
            #expect(LogDestination.detect(environment: environment, descriptor: descriptor) == .stderr)
        }
    }
}
