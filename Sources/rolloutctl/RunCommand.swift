import ArgumentParser
import Foundation
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Synchronization

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon's own loop on a virtual clock up to an instant, printing each wake's summary.",
        discussion: """
            The loop starts from the last processed wake in the database (or --from on a fresh \
            database) and processes every wake up to --until in order, each in its own transaction, \
            exactly as the daemon would. Safe beside a running daemon: a wake is never processed twice.

            With --resume-at, the virtual daemon is down until that instant: wakes before it are \
            replayed on catch-up, marked late (DMN-2, NOT-3).

            A run cannot be undone, so it is for scratch databases and copies (`rolloutctl db \
            backup`): on a database a daemon serves (it has recorded a heartbeat, DMN-9) `run` is \
            refused while the daemon runs, and never goes past the present — future wakes are the \
            daemon's to decide at their time; simulate them with `rolloutctl forecast`. One run \
            covers at most \(RunCommand.maximumDays) days.

            Examples:
              rolloutctl run --from 2026-03-02T00:00:00Z \\
                  --until 2026-06-01T00:00:00Z
              rolloutctl run --until 2026-07-01T00:00:00Z \\
                  --resume-at 2026-06-20T00:00:00Z --json
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("Run up to and including this instant.", valueName: "INSTANT"))
    var until: InstantArgument

    @Option(help: ArgumentHelp("Start the clock here on a fresh database (ignored once it has a clock).", valueName: "INSTANT"))
    var from: InstantArgument?

    @Option(help: ArgumentHelp("Simulate downtime: the virtual daemon starts at this instant and catches up.", valueName: "INSTANT"))
    var resumeAt: InstantArgument?

    @Flag(help: "Print one JSON object: the wakes processed and the final cursor.")
    var json = false

    struct Output: Encodable {
        let wakes: [WakeSummary]
        let processedThrough: Date
        let alreadyProcessed: [Date]

        enum CodingKeys: String, CodingKey {
            case wakes
            case processedThrough = "processed_through"
            case alreadyProcessed = "already_processed"
        }
    }

    /// The longest run: a year and a month of wakes, like `forecast --days`. A typo such as
    /// `--until 2200-…` would otherwise process thousands of wakes a minute, for good.
    static let maximumDays = 400

    func run() async throws {
        let (configuration, store) = try options.openStore()
        try refuseOnServedDatabase(store, now: Date())
        guard let cursor = try store.processedThrough() ?? from?.date else {
            printError("this database has no clock yet: give --from INSTANT to say where the run starts")
            throw ExitCode.validationFailure
        }
        guard until.date >= cursor else {
            printError("--until \(Instant.format(until.date)) is before the last processed wake \(Instant.format(cursor)); nothing to do")
            throw ExitCode.validationFailure
        }
        guard until.date.timeIntervalSince(cursor) <= TimeInterval(Self.maximumDays * 86_400) else {
            printError("--until \(Instant.format(until.date)) is more than \(Self.maximumDays) days after the last processed wake "
                       + "\(Instant.format(cursor)): a run cannot be undone, so it covers at most \(Self.maximumDays) days; run again from where it stops")
            throw ExitCode.validationFailure
        }
        try store.startClock(at: cursor)
        let clock = VirtualClock(startingAt: max(cursor, resumeAt?.date ?? cursor))
        let collected = Mutex<(wakes: [WakeSummary], skipped: [Date])>(([], []))
        let json = self.json
        let settings = LoopSettings(configuration)
        let time = HumanTime(configuration.calendar)
        let progress = Progress()
        let loop = WakeLoop(store: store, rules: Rules.all, clock: clock, settings: { settings }) { event in
            switch event {
            case .wake(let summary):
                let count = collected.withLock {
                    $0.wakes.append(summary)
                    return $0.wakes.count
                }
                if json {
                    progress.update("run: \(count) wake(s), at \(Instant.format(summary.at))")
                } else {
                    print(WakeLine.text(summary, time: time))
                }
            case .alreadyProcessed(let wake):
                collected.withLock { $0.skipped.append(wake.at) }
                if !json { print("\(Instant.format(wake.at)) already processed by another loop; skipped") }
            case .catchUpStarted(let first, let now):
                if !json { print("catch-up: replaying missed wakes from \(Instant.format(first)) (daemon resumed at \(Instant.format(now)))") }
            case .catchUpFinished(let replayed):
                if !json { print("catch-up: \(replayed) wake(s) replayed") }
            case .idle:
                break
            }
        }
        try await loop.run(until: until.date)
        progress.finish()
        let result = collected.withLock { $0 }
        if json {
            try printJSON(Output(wakes: result.wakes, processedThrough: try store.processedThrough() ?? until.date,
                                 alreadyProcessed: result.skipped))
        } else {
            print("processed \(result.wakes.count) wake(s) through \(Instant.format(until.date))")
        }
    }
}

extension RunCommand {
    /// DMN-9: only the daemon's loop decides on the live database, and only at the present.
    /// A database is live once a daemon has recorded a heartbeat in it; backups and forecast
    /// copies have none.
    func refuseOnServedDatabase(_ store: Store, now: Date) throws {
        guard let heartbeat = try store.heartbeat() else { return }
        let served = "\(store.path) is served by rolloutd (pid \(heartbeat.pid) on \(heartbeat.host), last seen \(Instant.format(heartbeat.lastSeen)))"
        if heartbeat.state(at: now) == .running {
            printError("\(served) and the daemon is running: it decides every wake on this database itself (DMN-9). "
                       + "Simulate with `rolloutctl forecast`, or run on a copy made with `rolloutctl db backup`")
            throw ExitCode.failure
        }
        if until.date > now || (resumeAt?.date ?? now) > now {
            printError("\(served): wakes after the present (\(Instant.format(now))) are the daemon's to decide at their time, "
                       + "and a run cannot be undone (DMN-9). Simulate with `rolloutctl forecast`, or run on a copy made with `rolloutctl db backup`")
            throw ExitCode.failure
        }
    }
}

/// One line per wake for terminals: instant, reasons, decisions, notifications.
enum WakeLine {
    static func text(_ summary: WakeSummary, time: HumanTime) -> String {
        let decisions = summary.decisions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var line = "\(time.instant(summary.at)) [\(summary.reasons.map(\.description).joined(separator: ", "))]"
        line += decisions.isEmpty ? " no decisions" : " " + decisions.joined(separator: " ")
        line += "; \(summary.notifications) notification(s)"
        if summary.late { line += " (late, \(summary.lateNotifications) late notification(s))" }
        if !summary.skipped.isEmpty { line += "; skipped: " + summary.skipped.map { "\($0.subject) (\($0.reason))" }.joined(separator: ", ") }
        return line
    }
}
