import ArgumentParser
import Foundation
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Last wake, next wake and why, pending changes, catch-up lag and store health.",
        discussion: """
            Exit status: 0 on schedule; 3 when the daemon is stopped or has not recorded its \
            heartbeat for two poll intervals (DMN-8), or when the next wake is overdue by more \
            than --tolerance seconds (stuck or catching up) — usable from monitoring.

            Examples:
              rolloutctl status
              rolloutctl status --json | jq .lag_seconds
              rolloutctl status --tolerance 900 || alert "rolloutd is behind"
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Seconds a wake may be overdue before the daemon counts as behind.") var tolerance: Int = 300
    @Flag(help: "Print JSON (fields in docs/cli.md).") var json = false

    /// Exit status when the daemon is behind its schedule.
    static let behind = ExitCode(3)

    func run() throws {
        let (configuration, store) = try options.openStore(readOnly: true)
        let report = try store.status(now: Date(), rules: Rules.all, context: LoopSettings(configuration).rules,
                                      tolerance: TimeInterval(tolerance))
        if json {
            try printJSON(report)
        } else {
            print("daemon: " + Self.liveness(report.daemon, now: report.now))
            print("database: \(report.health.database) (schema \(report.health.schemaVersion)/\(report.health.latestSchemaVersion), "
                  + "\(report.health.sizeBytes / 1024) KiB, WAL \(report.health.walBytes / 1024) KiB)")
            if let last = report.lastWake {
                let counts = last.summary.decisions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                print("last wake: \(Instant.format(last.at)) [\(last.reasons.map(\.description).joined(separator: ", "))] processed \(Instant.format(last.processedAt))"
                      + (last.late ? " (late)" : "") + ": " + (counts.isEmpty ? "no decisions" : counts))
            } else {
                print("last wake: none yet")
            }
            if let next = report.nextWake {
                print("next wake: \(Instant.format(next.at)) [\(next.reasons.map(\.description).joined(separator: ", "))]")
            }
            if report.daemon.down {
                print("NOT RUNNING: no wake is processed until the daemon runs again (lag \(report.lagSeconds) s)")
            } else {
                print(report.behind ? "BEHIND: the next wake is overdue by \(report.lagSeconds) s" : "on schedule (lag \(report.lagSeconds) s)")
            }
            print("pending: \(report.pending.changes) change(s), \(report.pending.openOrders) open order(s), "
                  + "\(report.pending.scheduledEndpointUpgrades) endpoint upgrade(s) scheduled")
            for change in report.pendingChanges {
                print("  #\(change.id) \(change.subject): \(change.change) — apply by \(Instant.format(change.applyBy))")
            }
            if !report.skippedRows.isEmpty {
                print("SKIPPED: \(report.skippedRows.count) row(s) break a rule and are left as they are (DMN-7); `rolloutctl skipped` lists them")
                for row in report.skippedRows.prefix(5) { print("  " + SkippedCommand.line(row)) }
            }
            for hook in report.webhooks {
                let state = hook.enabled ? (hook.consecutiveFailures > 0 ? "failing ×\(hook.consecutiveFailures)" : "ok") : "disabled"
                print("webhook #\(hook.webhookID) \(hook.url): \(state); pending \(hook.pending), failed \(hook.failed), dead \(hook.dead), "
                      + "delivered \(hook.delivered); last success \(hook.lastSuccessAt.map(Instant.format) ?? "never")"
                      + (hook.oldestPendingAt.map { ", oldest pending since \(Instant.format($0))" } ?? ""))
            }
        }
        if report.behind { throw Self.behind }
    }

    /// "running (pid 812 on host, last seen 3 s ago)", "NOT RUNNING: stopped at …".
    static func liveness(_ daemon: StatusReport.DaemonLiveness, now: Date) -> String {
        guard let beat = daemon.heartbeat else { return "never started on this database (no heartbeat)" }
        let seen = "last seen \(Instant.format(beat.lastSeen)), \(max(0, Int(now.timeIntervalSince(beat.lastSeen)))) s ago"
        switch Heartbeat.State(rawValue: daemon.state) {
        case .running: return "running (pid \(beat.pid) on \(beat.host), \(seen))"
        case .stopped: return "NOT RUNNING: stopped at \(Instant.format(beat.stoppedAt ?? beat.lastSeen)) (pid \(beat.pid) on \(beat.host))"
        default: return "NOT RUNNING: no heartbeat for more than two poll intervals of \(beat.pollSeconds) s (pid \(beat.pid) on \(beat.host), \(seen))"
        }
    }
}

struct SkippedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skipped",
        abstract: "Rows that break a rule, which every wake skips and reports until they are repaired (DMN-7).",
        discussion: """
            Another process (a console, an SQL session) may write a row no rule can decide: a \
            schedule change of an unknown kind, a reminder on an endpoint that is not deferred, a \
            billing day of 31. The daemon leaves such a row as it is, decides for every other \
            subject, journals the row once when it first finds it ("subject skipped"), and lists it \
            here until the row is repaired. Checks of whole tables run at business-day boundaries.

            Examples:
              rolloutctl skipped
              rolloutctl skipped --json | jq '.[] | select(.table == "endpoint")'
            """)

    @OptionGroup var options: ConfigOptions
    @Flag(help: "Print JSON (fields in docs/cli.md).") var json = false

    func run() throws {
        let (_, store) = try options.openStore(readOnly: true)
        let rows = try store.skippedRows()
        if json { return try printJSON(rows) }
        guard !rows.isEmpty else { return print("no skipped rows") }
        rows.forEach { print(Self.line($0)) }
    }

    /// `endpoint:e-7 [UPG-6] a reminder is set but … (reminder_not_deferred), since 2026-…`.
    static func line(_ row: SkippedRow) -> String {
        "\(row.table):\(row.row) [\(row.rule)] \(row.reason) (\(row.kind)), since \(Instant.format(row.firstSeenAt))"
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "The audit trail of a subject: every decision (wake, SPEC rule, before → after) and notification.",
        discussion: """
            Examples:
              rolloutctl history --org fabrikam
              rolloutctl history --endpoint contoso-e1 --json
              rolloutctl history --partner northwind --limit 50
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "An organisation.") var org: String?
    @Option(help: "An endpoint.") var endpoint: String?
    @Option(help: "A partner.") var partner: String?
    @Option(help: "Show at most this many of the newest entries.") var limit: Int = 1_000
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard [org, endpoint, partner].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --org, --endpoint or --partner")
        }
    }

    func run() throws {
        let (_, store) = try options.openStore(readOnly: true)
        let subject: HistorySubject = if let org { .organisation(org) } else if let endpoint { .endpoint(endpoint) } else { .partner(partner!) }
        let entries = try store.history(of: subject, limit: limit)
        if json { return try printJSON(entries) }
        for entry in entries {
            if entry.type == "decision" {
                print("\(Instant.format(entry.at))  \(entry.rule.padding(toLength: 7, withPad: " ", startingAt: 0)) \(entry.subject): "
                      + "\(entry.before ?? "-") → \(entry.after ?? "-")")
            } else if entry.type == "request" {
                print("\(Instant.format(entry.at))  request \(entry.subject): \(entry.rule), \(entry.after ?? "")")
            } else {
                print("\(Instant.format(entry.at))  notify  \(entry.subject) [\(entry.audience ?? "-"), \(entry.locale ?? "-")"
                      + (entry.late == true ? ", late" : "") + "] \(entry.text ?? "")")
            }
        }
    }
}

struct ForecastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Run the real engine forward on a copy of the database and show every upcoming wake; nothing is written.",
        discussion: """
            The store is left exactly as it was: the engine runs on an online-backup copy that is \
            deleted afterwards. The chart counts, per local day, endpoints given a newer target \
            (CAD-2) and endpoints whose generation upgrade installs (UPG-6).

            Examples:
              rolloutctl forecast --days 30
              rolloutctl forecast --days 90 --partner northwind --json
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "How many days ahead.") var days: Int = 14
    @Option(help: "Only this partner's decisions and notifications.") var partner: String?
    @Option(help: "Only this organisation's decisions and notifications.") var org: String?
    @Flag(help: "Print JSON (fields in docs/cli.md).") var json = false

    func validate() throws {
        guard (1...400).contains(days) else { throw ValidationError("--days must be between 1 and 400") }
    }

    func run() async throws {
        let (configuration, store) = try options.openStore(readOnly: true)
        let progress = Progress()
        let forecast = try await Forecast.run(store: store, rules: Rules.all, settings: LoopSettings(configuration), now: Date(),
                                              days: days, partner: partner, organisation: org) { at in
            progress.update("forecast: wake \(Instant.format(at))")
        }
        progress.finish()
        if json { return try printJSON(forecast) }
        print("forecast \(Instant.format(forecast.from)) → \(Instant.format(forecast.through)): \(forecast.wakes.count) wake(s)")
        for wake in forecast.wakes {
            let decisions = wake.decisions.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }
            let notifications = wake.notifications.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }
            guard !decisions.isEmpty || !notifications.isEmpty else { continue }
            print("\(Instant.format(wake.at)) [\(wake.reasons.map(\.description).joined(separator: ", "))]\(wake.late ? " (overdue)" : "")")
            decisions.forEach { print("    decide  \($0)") }
            notifications.forEach { print("    notify  \($0)") }
        }
        Chart.print(forecast.days)
    }
}

/// A per-day bar chart of endpoints upgrading, for terminals.
enum Chart {
    static func print(_ days: [Forecast.Day]) {
        let busiest = days.map { max($0.retargeted, $0.installing) }.max() ?? 0
        Swift.print("\nendpoints upgrading per day (R = new target, CAD-2; I = installing, UPG-6)")
        guard busiest > 0 else { return Swift.print("  none in this period") }
        let width = 50
        for day in days where day.retargeted + day.installing > 0 {
            for (mark, count) in [("R", day.retargeted), ("I", day.installing)] where count > 0 {
                let bar = String(repeating: "█", count: max(1, count * width / busiest))
                Swift.print("  \(day.date) \(mark) \(bar) \(count)")
            }
        }
    }
}
