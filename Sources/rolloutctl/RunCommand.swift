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

            Examples:
              rolloutctl run --from 2026-03-02T00:00:00Z --until 2026-06-01T00:00:00Z
              rolloutctl run --until 2026-07-01T00:00:00Z --resume-at 2026-06-20T00:00:00Z --json
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

    func run() async throws {
        let (configuration, store) = try options.openStore()
        guard let start = try store.processedThrough() ?? from?.date else {
            printError("this database has no clock yet: give --from INSTANT to say where the run starts")
            throw ExitCode.validationFailure
        }
        try store.startClock(at: start)
        let cursor = try store.processedThrough() ?? start
        guard until.date >= cursor else {
            printError("--until \(Instant.format(until.date)) is before the last processed wake \(Instant.format(cursor)); nothing to do")
            throw ExitCode.validationFailure
        }
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
