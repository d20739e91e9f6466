import Foundation
import RolloutCore
import Testing

/// CAL-3: with holidays off, the boundaries are exactly the elapse instants of the systemd calendar
/// expression `<weekdays> *-*-* HH:MM:00 <zone>`, and `systemd-analyze calendar` is the reference.
/// These tests run the real tool and compare every instant it prints, across DST changes, including
/// boundary times that fall in a spring-forward gap or a fall-back overlap.
@Suite struct CalendarSystemdReferenceTests {
    static let tool = "/usr/bin/systemd-analyze"

    struct Reference: Sendable, CustomTestStringConvertible {
        let zone: String
        let hour: Int
        let minute: Int
        /// The weekdays as systemd spells them in the expression; empty for every day.
        let days: String
        let weekdays: Set<Weekday>
        let start: String
        /// systemd-analyze is called `calls` times, each from the last instant the previous call printed.
        let iterations: Int
        let calls: Int

        var expression: String {
            let time = [hour, minute, 0].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":")
            return (days.isEmpty ? "" : days + " ") + "*-*-* \(time) \(zone)"
        }

        var calendar: BusinessCalendar {
            BusinessCalendar(.init(zone: TimeZone(identifier: zone)!, boundaryHour: hour, boundaryMinute: minute,
                                   weekdays: weekdays, holidays: .init(usFederal: false)))
        }

        var testDescription: String { expression }
    }

    static let workdays: Set<Weekday> = [.monday, .tuesday, .wednesday, .thursday, .friday]

    /// The default configuration, 2025-01-01 onwards: 2,200 boundaries, eight years of DST changes.
    static let standard = Reference(zone: "America/Los_Angeles", hour: 8, minute: 0, days: "Mon..Fri",
                                    weekdays: workdays, start: "2025-01-01T00:00:00Z", iterations: 1100, calls: 2)

    /// Another zone and hour, and boundary times that DST makes skipped or repeated: 02:30 and
    /// 01:30 in Los Angeles, midnight in Santiago (clocks jump 00:00 → 01:00 and fall back across
    /// midnight), a half-hour shift on Lord Howe Island.
    static let others = [
        Reference(zone: "Europe/Paris", hour: 9, minute: 0, days: "Mon..Fri", weekdays: workdays,
                  start: "2025-01-01T00:00:00Z", iterations: 800, calls: 1),
        Reference(zone: "America/Los_Angeles", hour: 2, minute: 30, days: "", weekdays: Set(Weekday.allCases),
                  start: "2025-01-01T00:00:00Z", iterations: 800, calls: 2),
        Reference(zone: "America/Los_Angeles", hour: 1, minute: 30, days: "", weekdays: Set(Weekday.allCases),
                  start: "2025-01-01T00:00:00Z", iterations: 800, calls: 2),
        Reference(zone: "America/Santiago", hour: 0, minute: 0, days: "", weekdays: Set(Weekday.allCases),
                  start: "2025-01-01T00:00:00Z", iterations: 800, calls: 2),
        Reference(zone: "America/Santiago", hour: 23, minute: 30, days: "Sat,Sun", weekdays: [.saturday, .sunday],
                  start: "2025-01-01T00:00:00Z", iterations: 400, calls: 1),
        Reference(zone: "Australia/Lord_Howe", hour: 2, minute: 15, days: "", weekdays: Set(Weekday.allCases),
                  start: "2025-01-01T00:00:00Z", iterations: 800, calls: 1),
    ]

    @Test("CAL-3: Mon..Fri 08:00 America/Los_Angeles, at least 2,000 consecutive boundaries")
    func standardConfiguration() throws {
        let compared = try Self.compare(Self.standard)
        print("CAL-3: compared \(compared) consecutive boundaries with systemd-analyze for '\(Self.standard.expression)'")
        #expect(compared >= 2000)
    }

    @Test("CAL-3: other zones, hours and DST-affected times", arguments: others)
    func otherConfigurations(reference: Reference) throws {
        let compared = try Self.compare(reference)
        #expect(compared == reference.iterations * reference.calls)
    }

    /// Searches that start inside or around the repeated hour of a fall back (2026-11-01, 01:00–02:00
    /// shown twice in Los Angeles) or the skipped hour of a spring forward (2026-03-08, 02:00–03:00),
    /// for boundary times in those hours: each is compared with systemd's first two elapses from
    /// that very instant.
    @Test("CAL-3: next boundary from starts around DST changes", arguments: [
        "2026-11-01T07:59:59Z", "2026-11-01T08:00:00Z", "2026-11-01T08:29:59Z", "2026-11-01T08:30:00Z",
        "2026-11-01T08:45:00Z", "2026-11-01T08:59:59Z", "2026-11-01T09:00:00Z", "2026-11-01T09:15:00Z",
        "2026-11-01T09:29:59Z", "2026-11-01T09:30:00Z", "2026-11-01T09:45:00Z", "2026-11-01T10:00:00Z",
        "2026-03-08T09:29:59Z", "2026-03-08T09:59:59Z", "2026-03-08T10:00:00Z", "2026-03-08T10:30:00Z",
    ])
    func startsAroundDSTChanges(start: String) throws {
        let base = try #require(Instant.parse(start))
        for (hour, minute) in [(1, 0), (1, 30), (2, 0), (2, 30)] {
            let probe = Reference(zone: "America/Los_Angeles", hour: hour, minute: minute, days: "",
                                  weekdays: Set(Weekday.allCases), start: start, iterations: 2, calls: 1)
            let expected = try Self.systemdElapses(probe.expression, after: base, iterations: 2)
            #expect(probe.calendar.boundaries(after: base, count: 2) == expected, "\(probe.expression) after \(start)")
        }
    }

    /// Compares `reference.calls` × `reference.iterations` consecutive boundaries; returns how many.
    static func compare(_ reference: Reference) throws -> Int {
        var base = try #require(Instant.parse(reference.start))
        var compared = 0
        for _ in 0..<reference.calls {
            let expected = try systemdElapses(reference.expression, after: base, iterations: reference.iterations)
            try #require(expected.count == reference.iterations, "systemd-analyze printed \(expected.count) instants")
            let actual = reference.calendar.boundaries(after: base, count: reference.iterations)
            for (index, (mine, systemd)) in zip(actual, expected).enumerated() where mine != systemd {
                Issue.record("\(reference.expression): boundary #\(compared + index + 1) is \(Instant.format(mine)), systemd says \(Instant.format(systemd))")
            }
            compared += min(actual.count, expected.count)
            base = try #require(expected.last)
        }
        return compared
    }

    /// Runs `systemd-analyze calendar` with `TZ=UTC`, so that every "Next elapse:" and "Iter. #k:"
    /// line is already in UTC (`Wed 2025-01-01 16:00:00 UTC`; the "(in UTC):" lines appear only
    /// when the local zone is not UTC), and returns those instants in order.
    static func systemdElapses(_ expression: String, after base: Date, iterations: Int) throws -> [Date] {
        try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is the CAL-3 reference")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["calendar", "--base-time=@\(Instant.seconds(base))", "--iterations=\(iterations)", expression]
        process.environment = ["TZ": "UTC", "LC_ALL": "C", "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": "cat"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "systemd-analyze calendar '\(expression)' failed")

        var instants: [Date] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("Next elapse:") || trimmed.hasPrefix("Iter. #") else { continue }
            let label = instants.isEmpty ? "Next elapse" : "Iter. #\(instants.count + 1)"
            try #require(trimmed.hasPrefix(label + ": "), "unexpected line '\(trimmed)'")
            let fields = trimmed.dropFirst(label.count + 2).split(separator: " ")
            try #require(fields.count == 4 && fields[3] == "UTC", "unexpected line '\(trimmed)'")
            instants.append(try #require(Instant.parse("\(fields[1])T\(fields[2])Z")))
        }
        return instants
    }
}
