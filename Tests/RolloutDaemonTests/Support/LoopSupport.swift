import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Synchronization

/// Parses a UTC instant written in a test (`2026-11-23T16:00:00Z`).
func at(_ text: String) -> Date {
    guard let date = Instant.parse(text) else { fatalError("bad instant in a test: \(text)") }
    return date
}

func iso(_ date: Date) -> String { Instant.format(date) }

/// The SPEC's default calendar and policy.
let defaultRules = RuleContext(calendar: BusinessCalendar(), policy: Policy())
let defaultSettings = LoopSettings(rules: defaultRules, poll: .seconds(5))

/// Every event a loop reported, in order.
final class EventRecorder: Sendable {
    private let events = Mutex<[LoopEvent]>([])

    func record(_ event: LoopEvent) { events.withLock { $0.append(event) } }

    var all: [LoopEvent] { events.withLock { $0 } }

    var wakes: [WakeSummary] {
        all.compactMap { if case .wake(let summary) = $0 { summary } else { nil } }
    }

    var alreadyProcessed: [Date] {
        all.compactMap { if case .alreadyProcessed(let wake) = $0 { wake.at } else { nil } }
    }
}

/// A loop on a virtual clock, reporting to `recorder`.
func makeLoop(_ store: Store, rules: [any WakeRule], clockAt start: Date, recorder: EventRecorder,
              settings: LoopSettings = defaultSettings) -> WakeLoop {
    WakeLoop(store: store, rules: rules, clock: VirtualClock(startingAt: start), settings: { settings },
             report: { recorder.record($0) })
}

/// One row of the `wake` table.
struct WakeRow: Equatable {
    var at: Date
    var reasons: String
    var late: Bool
}

func wakeRows(_ store: Store) throws -> [WakeRow] {
    try store.read { db in
        try Row.fetchAll(db, sql: "SELECT at, reasons, late FROM wake ORDER BY at").map {
            WakeRow(at: Instant.date($0["at"]), reasons: $0["reasons"], late: $0["late"])
        }
    }
}

func wakeCount(_ store: Store) throws -> Int {
    try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM wake") ?? 0 }
}
