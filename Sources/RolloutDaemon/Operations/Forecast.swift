public import Foundation
public import RolloutCore
public import RolloutEngine
public import RolloutStore
import Synchronization

/// `rolloutctl forecast`: the real engine run forward on a private copy of the database, so
/// the store is left exactly as it was, and what every upcoming wake would do.
public struct Forecast: Encodable, Sendable {
    public struct Wake: Codable, Sendable {
        public let at: Date
        public let reasons: [WakeReason]
        /// Fleet-wide counts by decision kind (the wake summary).
        public let summary: [String: Int]
        /// Decisions and notifications for the partner or organisation asked about (all when unfiltered).
        public let decisions: [String: Int]
        public let notifications: [String: Int]
        /// Decisions by organisation (same filter): who moves.
        public let organisations: [String: Int]
        public let late: Bool
        /// `decisions`, typed: rule, kind, after-value and count, same filter.
        public let decisionCounts: [DecisionCount]

        enum CodingKeys: String, CodingKey {
            case at, reasons, summary, decisions, notifications, organisations, late
            case decisionCounts = "decision_counts"
        }
    }

    /// Endpoints upgrading on one local day of the calendar zone; every day of the period is
    /// listed, quiet ones with zeros.
    public struct Day: Codable, Sendable {
        public let date: String
        /// `Mon` … `Sun`.
        public let weekday: String
        /// Endpoints given a newer target version (CAD-2).
        public let retargeted: Int
        /// Endpoints whose generation upgrade starts installing (UPG-6).
        public let installing: Int
    }

    public let from: Date
    public let through: Date
    public let wakes: [Wake]
    public let days: [Day]
    /// Subject by subject, for comparing with another run (OPS-4); not part of the JSON.
    public let outcome: ForecastOutcome

    enum CodingKeys: String, CodingKey {
        case from, through, wakes, days
    }

    /// Runs the loop from the store's cursor (the virtual daemon resumes at `now`, so overdue
    /// wakes come first, marked late) through `now + days` on a copy made with SQLite's online
    /// backup. `hypothesis`, when given, makes requests on the copy first (what-if, OPS-4).
    /// `progress` is told each wake's instant.
    public static func run(store: Store, rules: [any WakeRule], settings: LoopSettings, now: Date, days: Int,
                           partner: String?, organisation: String?, hypothesis: ((Store) throws -> Void)? = nil,
                           progress: @escaping @Sendable (Date) -> Void = { _ in }) async throws -> Forecast {
        let directory = try privateDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let copyPath = directory.appendingPathComponent("forecast.sqlite").path
        try store.backup(to: copyPath)
        let copy = try Store(path: copyPath)
        let cursor = try copy.startClock(at: now)
        try hypothesis?(copy)
        let through = settings.rules.calendar.adding(days: days, to: now)
        let summaries = Mutex<[WakeSummary]>([])
        let loop = WakeLoop(store: copy, rules: rules, clock: VirtualClock(startingAt: max(now, cursor)), settings: { settings }) { event in
            if case .wake(let summary) = event {
                summaries.withLock { $0.append(summary) }
                progress(summary.at)
            }
        }
        try await loop.run(until: through)
        let activity = Dictionary(uniqueKeysWithValues: try copy.activity(after: cursor, through: through, partner: partner,
                                                                          organisation: organisation).map { ($0.at, $0) })
        let wakes = summaries.withLock { $0 }.map { summary in
            Wake(at: summary.at, reasons: summary.reasons, summary: summary.decisions,
                 decisions: activity[summary.at]?.decisions ?? [:], notifications: activity[summary.at]?.notifications ?? [:],
                 organisations: activity[summary.at]?.organisations ?? [:], late: summary.late,
                 decisionCounts: activity[summary.at]?.decisionCounts ?? [])
        }
        return Forecast(from: cursor, through: through, wakes: wakes,
                        days: Self.days(wakes, from: min(cursor, now), through: through, calendar: settings.rules.calendar),
                        outcome: try copy.outcome(after: cursor, through: through))
    }

    /// A fresh 0700 directory under `$TMPDIR` (mkdtemp): the copy is a full copy of customer
    /// data, and nobody else may read it or guess its name while the forecast runs.
    private static func privateDirectory() throws -> URL {
        var template = Array(FileManager.default.temporaryDirectory.appendingPathComponent("rolloutd-forecast-XXXXXX").path.utf8CString)
        guard let made = mkdtemp(&template) else {
            throw StoreError(code: .cannotOpen, message: "cannot create a private directory for the forecast copy in "
                             + "\(FileManager.default.temporaryDirectory.path): \(String(cString: strerror(errno)))")
        }
        return URL(fileURLWithPath: String(cString: made))
    }

    private static func days(_ wakes: [Wake], from: Date, through: Date, calendar: BusinessCalendar) -> [Day] {
        var byDay: [LocalDate: (Int, Int)] = [:]
        for wake in wakes {
            let day = calendar.localDate(of: wake.at)
            for decision in wake.decisionCounts {
                switch decision.kind {
                case .targetVersion: byDay[day, default: (0, 0)].0 += decision.count
                case .endpointUpgrade where decision.after?.upgradeState == .installing: byDay[day, default: (0, 0)].1 += decision.count
                default: break
                }
            }
        }
        return calendar.localDates(from: from, through: through).map { day in
            Day(date: day.description, weekday: day.weekdayAbbreviation, retargeted: byDay[day]?.0 ?? 0, installing: byDay[day]?.1 ?? 0)
        }
    }
}
