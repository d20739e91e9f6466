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
            let time = HumanTime(configuration.calendar)
            print("daemon: " + Self.liveness(report.daemon, now: report.now))
            print("database: \(report.health.database) (schema \(report.health.schemaVersion)/\(report.health.latestSchemaVersion), "
                  + "\(report.health.sizeBytes / 1024) KiB, WAL \(report.health.walBytes / 1024) KiB)")
            if let last = report.lastWake {
                let counts = last.summary.decisions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                print("last wake: \(time.instant(last.at)) [\(last.reasons.map(\.description).joined(separator: ", "))] "
                      + "processed \(time.instant(last.processedAt))" + (last.late ? " (late)" : "") + ": " + (counts.isEmpty ? "no decisions" : counts))
            } else {
                print("last wake: none yet")
            }
            if let next = report.nextWake {
                print("next wake: \(time.instant(next.at)) [\(next.reasons.map(\.description).joined(separator: ", "))], "
                      + HumanTime.relative(next.at, to: report.now))
            }
            if report.daemon.down {
                print("NOT RUNNING: no wake is processed until the daemon runs again (lag \(HumanTime.duration(report.lagSeconds)))")
            } else {
                print(report.behind ? "BEHIND: the next wake is overdue by \(HumanTime.duration(report.lagSeconds))"
                                    : "on schedule (lag \(HumanTime.duration(report.lagSeconds)))")
            }
            print("pending: \(report.pending.changes) change(s), \(report.pending.openOrders) open order(s), "
                  + "\(report.pending.scheduledEndpointUpgrades) endpoint upgrade(s) scheduled")
            for pause in report.pauses {
                print("PAUSED: " + describe(pause, time: time, now: report.now))
            }
            for change in report.pendingChanges {
                print("  #\(change.id) \(change.subject): \(change.change) — apply by \(time.instant(change.applyBy)), "
                      + HumanTime.relative(change.applyBy, to: report.now))
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
              rolloutctl history --org contoso --since 2026-12-01T00:00:00Z \\
                  --until 2027-01-01T00:00:00Z
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "An organisation.") var org: String?
    @Option(help: "An endpoint.") var endpoint: String?
    @Option(help: "A partner.") var partner: String?
    @Option(help: ArgumentHelp("Only entries at or after this instant.", valueName: "INSTANT")) var since: InstantArgument?
    @Option(help: ArgumentHelp("Only entries before this instant.", valueName: "INSTANT")) var until: InstantArgument?
    @Option(help: "Show at most this many of the newest entries.") var limit: Int = 1_000
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard [org, endpoint, partner].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --org, --endpoint or --partner")
        }
        if let since, let until, until.date <= since.date { throw ValidationError("--until must be after --since") }
    }

    func run() throws {
        let (configuration, store) = try options.openStore(readOnly: true)
        let subject: HistorySubject = if let org { .organisation(org) } else if let endpoint { .endpoint(endpoint) } else { .partner(partner!) }
        let entries = try refusable {
            try store.requireExisting([(.organisation, org), (.endpoint, endpoint), (.partner, partner)])
            return try store.history(of: subject, since: since?.date, until: until?.date, limit: limit)
        }
        if json { return try printJSON(entries) }
        let time = HumanTime(configuration.calendar)
        for entry in entries {
            if entry.type == "decision" {
                print("\(time.instant(entry.at))  \(entry.rule.padding(toLength: 7, withPad: " ", startingAt: 0)) \(entry.subject): "
                      + "\(entry.before ?? "-") → \(entry.after ?? "-")")
            } else if entry.type == "request" {
                print("\(Instant.format(entry.at))  request \(entry.subject): \(entry.rule), \(entry.after ?? "")")
            } else {
                print("\(time.instant(entry.at))  notify  \(entry.subject) [\(entry.audience ?? "-"), \(entry.locale ?? "-")"
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
              rolloutctl forecast --days 30 --what-if what-if.txt

            With --what-if FILE, the forecast runs twice, on two copies: plain, and with the \
            hypothetical requests of FILE made first (one request command per line, as typed \
            without the program name; # comments). The output is the plain forecast, then the \
            differences: endpoints that move earlier or later, orders and notifications added or \
            removed (OPS-4). Nothing is written.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "How many days ahead.") var days: Int = 14
    @Option(help: "Only this partner's decisions and notifications.") var partner: String?
    @Option(help: "Only this organisation's decisions and notifications.") var org: String?
    @Option(name: .customLong("what-if"), help: ArgumentHelp("Hypothetical requests to compare with the plain forecast (OPS-4).",
                                                           valueName: "FILE")) var whatIf: String?
    @Flag(help: "Print JSON (fields in docs/cli.md).") var json = false

    /// Endpoint changes printed before "… and N more".
    static let shownChanges = 50

    func validate() throws {
        guard (1...400).contains(days) else { throw ValidationError("--days must be between 1 and 400") }
    }

    func run() async throws {
        let (configuration, store) = try options.openStore(readOnly: true)
        try refusable { try store.requireExisting([(.partner, partner), (.organisation, org)]) }
        let hypotheses = try whatIf.map { try WhatIfFile(path: $0) }
        let progress = Progress()
        let now = Date()
        func forecast(_ hypothesis: ((Store) throws -> Void)?) async throws -> Forecast {
            try await Forecast.run(store: store, rules: Rules.all, settings: LoopSettings(configuration), now: now, days: days,
                                   partner: partner, organisation: org, hypothesis: hypothesis) { at in
                progress.update("forecast: wake \(Instant.format(at))")
            }
        }
        let plain = try await forecast(nil)
        let time = HumanTime(configuration.calendar)
        guard let hypotheses, let path = whatIf else {
            progress.finish()
            if json { return try printJSON(plain) }
            return ForecastText.print(plain, time: time)
        }
        let hypothetical: Forecast
        do {
            hypothetical = try await forecast { try hypotheses.apply(to: $0, configuration: configuration, path: path) }
        } catch let refused as WhatIfRefused {
            progress.finish()
            printError(refused.message)
            throw ExitCode.failure
        }
        progress.finish()
        let result = WhatIf(requests: hypotheses.lines.map(\.text), plain: plain, whatIf: hypothetical)
        if json { return try printJSON(result) }
        ForecastText.print(plain, time: time)
        ForecastText.print(result.differences, requests: result.requests, file: path, time: time)
    }
}

/// The human view of a forecast: the wakes that decide or notify, then a per-day chart.
enum ForecastText {
    static func print(_ forecast: Forecast, time: HumanTime) {
        let shown = forecast.wakes.filter { !$0.decisions.isEmpty || !$0.notifications.isEmpty }
        Swift.print("forecast \(time.instant(forecast.from)) → \(time.instant(forecast.through)): "
                    + "\(shown.count) wake(s) that decide or notify, of \(forecast.wakes.count) wake(s)")
        for wake in shown {
            let decisions = wake.decisions.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }
            let notifications = wake.notifications.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }
            Swift.print("\(time.instant(wake.at)) [\(wake.reasons.map(\.description).joined(separator: ", "))]\(wake.late ? " (overdue)" : "")")
            decisions.forEach { Swift.print("    decide  \($0)") }
            notifications.forEach { Swift.print("    notify  \($0)") }
            if !wake.organisations.isEmpty {
                Swift.print("    who     " + wake.organisations.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", "))
            }
        }
        Chart.print(forecast.days)
    }
}

extension ForecastText {
    /// The differences a what-if makes (OPS-4), after the plain forecast.
    static func print(_ differences: WhatIf.Differences, requests: [String], file: String, time: HumanTime) {
        Swift.print("\nwhat-if: \(requests.count) request(s) from \(file)")
        requests.forEach { Swift.print("  \($0)") }
        func at(_ date: Date?) -> String { date.map(time.instant) ?? "never" }
        func count(_ changes: [String]) -> String {
            Dictionary(grouping: changes, by: { $0 }).sorted { $0.key < $1.key }.map { "\($0.value.count) \($0.key)" }.joined(separator: ", ")
        }
        let endpoints = differences.endpoints
        Swift.print("endpoints: " + (endpoints.isEmpty ? "no change" : count(endpoints.map(\.change))))
        for change in endpoints.prefix(ForecastCommand.shownChanges) {
            var line = "  \(change.endpoint)" + (change.organisation.map { " (\($0))" } ?? "") + " \(change.what): \(change.change), "
                + "\(at(change.plainAt)) → \(at(change.whatIfAt))"
            if let plain = change.plainAt, let other = change.whatIfAt {
                line += " (\(HumanTime.duration(Int64(abs(other.timeIntervalSince(plain))))))"
            }
            Swift.print(line)
        }
        if endpoints.count > ForecastCommand.shownChanges {
            Swift.print("  … and \(endpoints.count - ForecastCommand.shownChanges) more (--json lists them all)")
        }
        Swift.print("orders: " + (differences.orders.isEmpty ? "no change" : count(differences.orders.map(\.change))))
        for order in differences.orders {
            Swift.print("  \(order.organisation): \(order.change), \(at(order.plainAt)) → \(at(order.whatIfAt))")
        }
        let notifications = differences.notifications
        Swift.print("notifications: " + (notifications.isEmpty ? "no change" : count(notifications.map(\.change))))
        for notice in notifications.prefix(ForecastCommand.shownChanges) {
            Swift.print("  \(notice.change == "added" ? "+" : "-") \(time.instant(notice.dueAt)) \(notice.kind) \(notice.key)")
        }
        if notifications.count > ForecastCommand.shownChanges {
            Swift.print("  … and \(notifications.count - ForecastCommand.shownChanges) more (--json lists them all)")
        }
    }
}

/// A per-day bar chart of endpoints upgrading, for terminals: every day of the period, quiet
/// ones included, with its weekday.
enum Chart {
    static func print(_ days: [Forecast.Day]) {
        let busiest = days.map { max($0.retargeted, $0.installing) }.max() ?? 0
        Swift.print("\nendpoints upgrading per day (R = new target, CAD-2; I = installing, UPG-6)")
        let width = 50
        for day in days {
            guard day.retargeted + day.installing > 0 else {
                Swift.print("  \(day.weekday) \(day.date)   0")
                continue
            }
            for (mark, count) in [("R", day.retargeted), ("I", day.installing)] where count > 0 {
                let bar = String(repeating: "█", count: max(1, count * width / max(busiest, 1)))
                Swift.print("  \(day.weekday) \(day.date) \(mark) \(bar) \(count)")
            }
        }
    }
}
