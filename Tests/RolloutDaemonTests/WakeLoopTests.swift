import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// The daemon's loop (DMN-1…4) on a virtual clock: wakes at boundaries and rule deadlines, in
/// order, each processed exactly once in the database, across reruns, concurrent loops,
/// catch-up, clock jumps and DST; and a wake's writes commit atomically (DMN-3).
@Suite struct WakeLoopTests {
    /// A store on a fresh file with the test rule's tables and the clock started at `cursor`.
    static func prepared(_ directory: TemporaryDirectory, cursor: String,
                         deadlines: [(at: String, kind: String)] = []) throws -> Store {
        let store = try Store(path: directory.path("rolloutd.sqlite"))
        try DeadlineTableRule.install(in: store, deadlines: deadlines)
        try store.startClock(at: at(cursor))
        return store
    }

    @Test("a week across Thanksgiving 2026: wakes at each boundary and each rule deadline, in order, once each; none on 11-26 at 16:00Z")
    func thanksgivingWeek() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Self.prepared(directory, cursor: "2026-11-23T00:00:00Z", deadlines: [
            ("2026-11-24T16:00:00Z", "test_same_as_boundary"),
            ("2026-11-25T03:17:00Z", "test_night"),
            ("2026-11-26T12:00:00Z", "test_on_thanksgiving"),
        ])
        let rule = DeadlineTableRule()
        let recorder = EventRecorder()
        try await makeLoop(store, rules: [rule], clockAt: at("2026-11-23T00:00:00Z"), recorder: recorder)
            .run(until: at("2026-11-28T00:00:00Z"))

        let expected = [
            WakeRow(at: at("2026-11-23T16:00:00Z"), reasons: "boundary", late: false),
            WakeRow(at: at("2026-11-24T16:00:00Z"), reasons: "boundary, test_same_as_boundary", late: false),
            WakeRow(at: at("2026-11-25T03:17:00Z"), reasons: "test_night", late: false),
            WakeRow(at: at("2026-11-25T16:00:00Z"), reasons: "boundary", late: false),
            WakeRow(at: at("2026-11-26T12:00:00Z"), reasons: "test_on_thanksgiving", late: false),
            WakeRow(at: at("2026-11-27T16:00:00Z"), reasons: "boundary", late: false),
        ]
        #expect(try wakeRows(store) == expected)
        #expect(try wakeRows(store).allSatisfy { $0.at != at("2026-11-26T16:00:00Z") })
        // Reported in the same order, one event per wake.
        #expect(recorder.wakes.map(\.at) == expected.map(\.at))
        #expect(recorder.wakes.map { $0.reasons.map(\.kind) } == [
            ["boundary"], ["boundary", "test_same_as_boundary"], ["test_night"], ["boundary"], ["test_on_thanksgiving"],
            ["boundary"],
        ])
        #expect(recorder.alreadyProcessed.isEmpty)
        // The rule ran once per wake, and each deadline was handled at its own instant.
        #expect(rule.processCount == expected.count)
        let log = try RuleLog.read(store)
        #expect(log.wakes == expected.map(\.at))
        #expect(log.unhandled == 0)
        #expect(log.handled == [
            at("2026-11-24T16:00:00Z"): at("2026-11-24T16:00:00Z"),
            at("2026-11-25T03:17:00Z"): at("2026-11-25T03:17:00Z"),
            at("2026-11-26T12:00:00Z"): at("2026-11-26T12:00:00Z"),
        ])
        #expect(recorder.wakes.map { $0.decisions["test_deadline_handled"] ?? 0 } == [0, 1, 1, 0, 1, 0])
        #expect(try store.processedThrough() == at("2026-11-28T00:00:00Z"))
    }

    @Test("run(until:) twice over overlapping ranges never processes a wake twice")
    func overlappingRuns() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Self.prepared(directory, cursor: "2026-11-23T00:00:00Z", deadlines: [
            ("2026-11-24T20:00:00Z", "test_tuesday"), ("2026-11-27T09:00:00Z", "test_friday"),
        ])
        let rule = DeadlineTableRule()
        let first = EventRecorder()
        try await makeLoop(store, rules: [rule], clockAt: at("2026-11-23T00:00:00Z"), recorder: first)
            .run(until: at("2026-11-25T20:00:00Z"))
        #expect(try wakeCount(store) == 4)  // 23, 24 16:00, 24 20:00, 25

        // The second run starts its clock back at the beginning and goes further.
        let second = EventRecorder()
        try await makeLoop(store, rules: [rule], clockAt: at("2026-11-23T00:00:00Z"), recorder: second)
            .run(until: at("2026-12-01T00:00:00Z"))
        // A third covers everything again.
        let third = EventRecorder()
        try await makeLoop(store, rules: [rule], clockAt: at("2026-11-20T00:00:00Z"), recorder: third)
            .run(until: at("2026-12-01T00:00:00Z"))

        let expected = [
            "2026-11-23T16:00:00Z", "2026-11-24T16:00:00Z", "2026-11-24T20:00:00Z", "2026-11-25T16:00:00Z",
            "2026-11-27T09:00:00Z", "2026-11-27T16:00:00Z", "2026-11-30T16:00:00Z",
        ].map(at)
        #expect(try wakeRows(store).map(\.at) == expected)
        #expect(first.wakes.map(\.at) == Array(expected.prefix(4)))
        #expect(second.wakes.map(\.at) == Array(expected.suffix(3)))
        #expect(third.wakes.isEmpty)
        #expect(rule.processCount == expected.count)
        let log = try RuleLog.read(store)
        #expect(log.wakes == expected)
        #expect(try store.processedThrough() == at("2026-12-01T00:00:00Z"))
    }

    @Test("two loops on two Store instances of one file, running at once over the same range, process every wake exactly once in total")
    func concurrentLoopsOnOneFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var deadlines: [(at: String, kind: String)] = []
        for day in 2...27 {
            let dd = String(format: "%02d", day)
            deadlines.append(("2026-11-\(dd)T02:30:00Z", "test_night"))
            deadlines.append(("2026-11-\(dd)T19:45:00Z", "test_afternoon"))
        }
        let daemonStore = try Self.prepared(directory, cursor: "2026-11-01T00:00:00Z", deadlines: deadlines)
        let cliStore = try Store(path: daemonStore.path)
        let daemonRule = DeadlineTableRule()
        let cliRule = DeadlineTableRule()
        let daemonEvents = EventRecorder()
        let cliEvents = EventRecorder()
        let start = at("2026-11-01T00:00:00Z")
        let until = at("2026-11-28T00:00:00Z")
        let daemon = makeLoop(daemonStore, rules: [daemonRule], clockAt: start, recorder: daemonEvents)
        let cli = makeLoop(cliStore, rules: [cliRule], clockAt: start, recorder: cliEvents)

        async let daemonRun: Void = daemon.run(until: until)
        async let cliRun: Void = cli.run(until: until)
        _ = try await (daemonRun, cliRun)

        // Independent expectation: every boundary of the calendar in the range, plus every deadline.
        let boundaries = BusinessCalendar().boundaries(after: start, through: until)
        #expect(boundaries.count == 18)  // 20 weekdays in Nov 2–27, minus Veterans Day and Thanksgiving
        let expected = Set(boundaries + deadlines.map { at($0.at) }).sorted()
        #expect(expected.count == 18 + 52)

        #expect(try wakeRows(daemonStore).map(\.at) == expected)
        #expect(daemonRule.processCount + cliRule.processCount == expected.count)
        let daemonWakes = Set(daemonEvents.wakes.map(\.at))
        let cliWakes = Set(cliEvents.wakes.map(\.at))
        #expect(daemonWakes.isDisjoint(with: cliWakes))
        #expect(daemonEvents.wakes.count + cliEvents.wakes.count == expected.count)
        #expect(daemonWakes.union(cliWakes) == Set(expected))
        let log = try RuleLog.read(daemonStore)
        #expect(log.wakes.count == expected.count)
        #expect(Set(log.wakes) == Set(expected))
        #expect(log.unhandled == 0)
        #expect(try cliStore.processedThrough() == until)
    }

    @Test("a wake processed by another Store instance first is reported alreadyProcessed, and its rules do not run again")
    func compareAndSetOnTheCursor() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try Self.prepared(directory, cursor: "2026-11-23T00:00:00Z")
        let second = try Store(path: first.path)
        let rule = DeadlineTableRule()
        let wake = try #require(try first.nextWake(rules: [rule], context: defaultRules))
        #expect(wake.at == at("2026-11-23T16:00:00Z"))

        guard case .processed = try first.process(wake, rules: [rule], context: defaultRules, late: false) else {
            Issue.record("the first store did not process the wake")
            return
        }
        guard case .alreadyProcessed = try second.process(wake, rules: [rule], context: defaultRules, late: false) else {
            Issue.record("the second store processed a wake already processed")
            return
        }
        #expect(rule.processCount == 1)
        #expect(try wakeCount(first) == 1)
        // An earlier instant than the cursor is refused the same way.
        let earlier = Wake(at: at("2026-11-23T10:00:00Z"), reasons: [.boundary])
        guard case .alreadyProcessed = try second.process(earlier, rules: [rule], context: defaultRules, late: false) else {
            Issue.record("a wake before the cursor was processed")
            return
        }
        #expect(rule.processCount == 1)
        #expect(try second.processedThrough() == wake.at)
    }

    @Test("catch-up: a clock 10 days past the cursor replays every missed wake in order, marked late, between catchUpStarted and catchUpFinished")
    func catchUpAfterDowntime() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Self.prepared(directory, cursor: "2026-03-02T00:00:00Z", deadlines: [
            ("2026-03-04T20:00:00Z", "test_missed"), ("2026-03-12T18:00:00Z", "test_on_time"),
        ])
        let rule = DeadlineTableRule()
        let recorder = EventRecorder()
        let resumedAt = at("2026-03-12T00:00:00Z")
        try await makeLoop(store, rules: [rule], clockAt: resumedAt, recorder: recorder)
            .run(until: at("2026-03-14T00:00:00Z"))

        let missed = [
            "2026-03-02T16:00:00Z", "2026-03-03T16:00:00Z", "2026-03-04T16:00:00Z", "2026-03-04T20:00:00Z",
            "2026-03-05T16:00:00Z", "2026-03-06T16:00:00Z", "2026-03-09T15:00:00Z", "2026-03-10T15:00:00Z",
            "2026-03-11T15:00:00Z",
        ].map(at)
        let onTime = ["2026-03-12T15:00:00Z", "2026-03-12T18:00:00Z", "2026-03-13T15:00:00Z"].map(at)

        #expect(try wakeRows(store).map(\.at) == missed + onTime)
        #expect(try wakeRows(store).map(\.late) == missed.map { _ in true } + onTime.map { _ in false })
        #expect(recorder.wakes.map(\.at) == missed + onTime)
        #expect(recorder.wakes.map(\.late) == missed.map { _ in true } + onTime.map { _ in false })
        #expect(rule.processCount == missed.count + onTime.count)

        // The events: catchUpStarted, the late wakes, catchUpFinished(replayed: 9), then the rest.
        let events = recorder.all
        guard case .catchUpStarted(let firstMissed, let now) = events.first else {
            Issue.record("the first event is not catchUpStarted: \(String(describing: events.first))")
            return
        }
        #expect(firstMissed == missed[0])
        #expect(now == resumedAt)
        let finished = events.enumerated().compactMap { index, event -> (Int, Int)? in
            if case .catchUpFinished(let replayed) = event { (index, replayed) } else { nil }
        }
        #expect(finished.count == 1)
        #expect(finished.first?.1 == missed.count)
        let lateWakeIndices = events.enumerated().compactMap { index, event -> Int? in
            if case .wake(let summary) = event, summary.late { index } else { nil }
        }
        let onTimeWakeIndices = events.enumerated().compactMap { index, event -> Int? in
            if case .wake(let summary) = event, !summary.late { index } else { nil }
        }
        let finishedIndex = try #require(finished.first?.0)
        #expect(lateWakeIndices == Array(1...missed.count))
        #expect(lateWakeIndices.allSatisfy { $0 < finishedIndex })
        #expect(onTimeWakeIndices.allSatisfy { $0 > finishedIndex })
        let startedCount = events.filter { if case .catchUpStarted = $0 { true } else { false } }.count
        #expect(startedCount == 1)
    }

    @Test("a wall clock that jumps back before the cursor fires nothing again")
    func clockJumpBackwards() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Self.prepared(directory, cursor: "2026-11-23T00:00:00Z", deadlines: [
            ("2026-11-24T20:00:00Z", "test_tuesday"),
        ])
        let rule = DeadlineTableRule()
        try await makeLoop(store, rules: [rule], clockAt: at("2026-11-23T00:00:00Z"), recorder: EventRecorder())
            .run(until: at("2026-11-25T20:00:00Z"))
        let before = try wakeRows(store)
        #expect(before.count == 4)
        let processed = rule.processCount

        // NTP or an operator sets the clock back three days; the daemon restarts on it.
        let recorder = EventRecorder()
        try await makeLoop(store, rules: [rule], clockAt: at("2026-11-22T20:00:00Z"), recorder: recorder)
            .run(until: at("2026-11-25T20:00:00Z"))
        #expect(recorder.wakes.isEmpty)
        #expect(recorder.alreadyProcessed.isEmpty)
        #expect(try wakeRows(store) == before)
        #expect(rule.processCount == processed)
        #expect(try store.processedThrough() == at("2026-11-25T20:00:00Z"))

        // Running on from the jumped-back clock processes only what lies after the cursor.
        let onward = EventRecorder()
        try await makeLoop(store, rules: [rule], clockAt: at("2026-11-22T20:00:00Z"), recorder: onward)
            .run(until: at("2026-11-28T00:00:00Z"))
        #expect(onward.wakes.map(\.at) == [at("2026-11-27T16:00:00Z")])
        #expect(try wakeRows(store).map(\.at) == before.map(\.at) + [at("2026-11-27T16:00:00Z")])
        #expect(rule.processCount == processed + 1)
    }

    @Test("DST: boundaries across 2026-03-08 and 2026-11-01 move between 16:00Z and 15:00Z, none doubled or skipped",
          arguments: [
            ("2026-03-02T00:00:00Z", "2026-03-14T00:00:00Z", [
                "2026-03-02T16:00:00Z", "2026-03-03T16:00:00Z", "2026-03-04T16:00:00Z", "2026-03-05T16:00:00Z",
                "2026-03-06T16:00:00Z", "2026-03-09T15:00:00Z", "2026-03-10T15:00:00Z", "2026-03-11T15:00:00Z",
                "2026-03-12T15:00:00Z", "2026-03-13T15:00:00Z",
            ]),
            ("2026-10-26T00:00:00Z", "2026-11-07T00:00:00Z", [
                "2026-10-26T15:00:00Z", "2026-10-27T15:00:00Z", "2026-10-28T15:00:00Z", "2026-10-29T15:00:00Z",
                "2026-10-30T15:00:00Z", "2026-11-02T16:00:00Z", "2026-11-03T16:00:00Z", "2026-11-04T16:00:00Z",
                "2026-11-05T16:00:00Z", "2026-11-06T16:00:00Z",
            ]),
          ])
    func daylightSavingTransitions(from: String, until: String, expected: [String]) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Self.prepared(directory, cursor: from)
        let rule = DeadlineTableRule()
        let recorder = EventRecorder()
        try await makeLoop(store, rules: [rule], clockAt: at(from), recorder: recorder).run(until: at(until))
        #expect(try wakeRows(store).map { iso($0.at) } == expected)
        #expect(try wakeRows(store).allSatisfy { $0.reasons == "boundary" && !$0.late })
        #expect(recorder.wakes.map { iso($0.at) } == expected)
        #expect(rule.processCount == expected.count)
    }

    @Test("an overdue deadline (before or at the cursor) is processed at cursor + 1 s, once")
    func overdueDeadline() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cursor = "2026-03-03T18:00:00Z"
        let store = try Self.prepared(directory, cursor: cursor, deadlines: [
            ("2026-03-03T16:30:00Z", "test_before_cursor"), (cursor, "test_at_cursor"),
        ])
        let rule = DeadlineTableRule()
        let next = try #require(try store.nextWake(rules: [rule], context: defaultRules))
        #expect(next.at == at("2026-03-03T18:00:01Z"))
        #expect(next.reasons.map(\.kind) == ["test_at_cursor", "test_before_cursor"])

        let recorder = EventRecorder()
        try await makeLoop(store, rules: [rule], clockAt: at(cursor), recorder: recorder)
            .run(until: at("2026-03-04T00:00:00Z"))
        #expect(try wakeRows(store) == [
            WakeRow(at: at("2026-03-03T18:00:01Z"), reasons: "test_at_cursor, test_before_cursor", late: false),
        ])
        let log = try RuleLog.read(store)
        #expect(log.unhandled == 0)
        #expect(Set(log.handled.values) == [at("2026-03-03T18:00:01Z")])
        #expect(rule.processCount == 1)
    }

    @Test("DMN-3: a wake that fails before commit leaves the cursor, the wake table and the rule's writes unchanged")
    func wakeIsAtomic() throws {
        struct CrashBeforeCommit: Error {}
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cursor = at("2026-03-03T18:00:00Z")
        let store = try Self.prepared(directory, cursor: iso(cursor), deadlines: [("2026-03-03T20:00:00Z", "test_due")])
        let rule = DeadlineTableRule()
        let wake = try #require(try store.nextWake(rules: [rule], context: defaultRules))
        #expect(wake.at == at("2026-03-03T20:00:00Z"))

        #expect(throws: CrashBeforeCommit.self) {
            try store.process(wake, rules: [rule], context: defaultRules, late: false, beforeCommit: { throw CrashBeforeCommit() })
        }
        #expect(rule.processCount == 1)  // the rule did run and write…
        #expect(try store.processedThrough() == cursor)  // …but nothing of it committed
        #expect(try wakeCount(store) == 0)
        let log = try RuleLog.read(store)
        #expect(log.wakes.isEmpty)
        #expect(log.handled.isEmpty)
        #expect(log.unhandled == 1)
        #expect(try store.nextWake(rules: [rule], context: defaultRules) == wake)

        // The same wake then commits whole: the cursor, the wake row and the rule's writes together.
        guard case .processed(let summary) = try store.process(wake, rules: [rule], context: defaultRules, late: false) else {
            Issue.record("the retried wake was not processed")
            return
        }
        #expect(summary.decisions["test_deadline_handled"] == 1)
        #expect(try store.processedThrough() == wake.at)
        #expect(try wakeRows(store).map(\.at) == [wake.at])
        let after = try RuleLog.read(store)
        #expect(after.wakes == [wake.at])
        #expect(after.unhandled == 0)
    }

    @Test("90 days of schedule: one wake per business day in the range, none on a holiday or weekend")
    func ninetyDays() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let start = at("2026-09-01T00:00:00Z")
        let until = start.addingTimeInterval(90 * 86_400)  // 2026-11-30T00:00:00Z
        let store = try Self.prepared(directory, cursor: iso(start))
        let rule = DeadlineTableRule()
        let recorder = EventRecorder()
        try await makeLoop(store, rules: [rule], clockAt: start, recorder: recorder).run(until: until)

        // Business days with a boundary in (start, until]: Sep 1 … Nov 27, weekdays minus Labor Day,
        // Columbus Day, Veterans Day and Thanksgiving (counted with Python's zoneinfo, not this code).
        let rows = try wakeRows(store)
        #expect(rows.count == 60)
        #expect(rule.processCount == 60)
        #expect(recorder.wakes.count == 60)
        #expect(iso(try #require(rows.first).at) == "2026-09-01T15:00:00Z")
        #expect(iso(try #require(rows.last).at) == "2026-11-27T16:00:00Z")
        #expect(rows.allSatisfy { $0.reasons == "boundary" })
        #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.at < $1.at })
        var losAngeles = Calendar(identifier: .gregorian)
        losAngeles.timeZone = TimeZone(identifier: "America/Los_Angeles")!
        let localDays = rows.map { row -> String in
            let parts = losAngeles.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: row.at)
            #expect(parts.hour == 8 && parts.minute == 0, "\(iso(row.at)) is not 08:00 in Los Angeles")
            #expect((2...6).contains(parts.weekday!), "\(iso(row.at)) is on a weekend")
            return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        }
        #expect(Set(localDays).count == 60)
        for holiday in ["2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26"] {
            #expect(!localDays.contains(holiday), "woke on the holiday \(holiday)")
        }
        #expect(try store.processedThrough() == until)
    }

    @Test("the loop refuses to run on a store whose clock was never started")
    func runNeedsAStartedClock() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Store(path: directory.path("rolloutd.sqlite"))
        let loop = makeLoop(store, rules: [], clockAt: at("2026-03-02T00:00:00Z"), recorder: EventRecorder())
        await #expect(throws: StoreError.self) { try await loop.run(until: at("2026-03-10T00:00:00Z")) }
        #expect(try wakeCount(store) == 0)
    }
}
