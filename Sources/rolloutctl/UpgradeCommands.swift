import ArgumentParser
import Foundation
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore

struct ProgrammeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "programme",
        abstract: "A partner's customer upgrade programme (UPG-1).",
        subcommands: [Create.self])

    struct Create: ParsableCommand, RequestCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a partner's programme: announcement, window start and automatic upgrade instants.",
            discussion: """
                Window start and automatic upgrade must be business-day boundaries (08:00 Pacific on a \
                business day); an instant that is not one is refused and the next valid boundary named. \
                A programme can be replaced until it is announced.

                Example:
                  rolloutctl programme create --partner northwind \\
                      --announce 2026-12-01T16:00:00Z \\
                      --window-start 2027-01-05T16:00:00Z \\
                      --auto-upgrade 2027-03-02T16:00:00Z
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "The partner.") var partner: String
        @Option(help: ArgumentHelp("When the programme is announced (UPG-2).", valueName: "INSTANT")) var announce: InstantArgument
        @Option(help: ArgumentHelp("When the upgrade window opens: a boundary (UPG-3).", valueName: "INSTANT")) var windowStart: InstantArgument
        @Option(help: ArgumentHelp("When remaining ready organisations are ordered automatically: a boundary (UPG-7).", valueName: "INSTANT"))
        var autoUpgrade: InstantArgument
        @OptionGroup var time: RequestTime
        @Flag(help: "Print the receipt as JSON.") var json = false

        func run() throws {
            let (configuration, store) = try options.openStore()
            let programme = try refusable { try request(store, configuration) }
            if json {
                return try printJSON(Receipt(request: "programme_created", subject: "partner:\(partner)", requestedAt: time.instant, details: [
                    "announce_at": .instant(programme.announceAt), "window_start_at": .instant(programme.windowStartAt),
                    "auto_upgrade_at": .instant(programme.autoUpgradeAt),
                ]))
            }
            let human = HumanTime(configuration.calendar)
            print("programme of \(partner):")
            print("  announcement      \(human.instant(programme.announceAt))")
            print("  window start      \(human.instant(programme.windowStartAt))")
            print("  automatic upgrade \(human.instant(programme.autoUpgradeAt))")
        }

        func request(_ store: Store, _ configuration: RolloutDaemon.Configuration) throws -> Programme {
            try store.createProgramme(partner: partner, announceAt: announce.date, windowStartAt: windowStart.date,
                                      autoUpgradeAt: autoUpgrade.date, at: time.instant, calendar: LoopSettings(configuration).rules.calendar)
        }
    }
}

struct ReadinessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readiness",
        abstract: "The readiness checklist of a partner's organisations, as the daemon last evaluated it (UPG-3).",
        discussion: """
            Examples:
              rolloutctl readiness --partner northwind
              rolloutctl readiness --partner northwind --org contoso --json
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "The partner.") var partner: String
    @Option(help: "Only this organisation.") var org: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let (configuration, store) = try options.openStore(readOnly: true)
        let reports = try refusable {
            try store.requireExisting([(.partner, partner), (.organisation, org)])
            return try store.readiness(partner: partner, organisation: org)
        }
        if json { return try printJSON(reports) }
        let time = HumanTime(configuration.calendar)
        for report in reports {
            let verdict = report.generation == "cloud" ? "upgraded" : report.ready.map { $0 ? "READY" : "NOT READY" } ?? "not evaluated yet"
            print("\(report.organisation): \(verdict)" + (report.evaluatedAt.map { " (evaluated \(time.instant($0)))" } ?? ""))
            for item in report.items { print("  [\(item.passed ? "pass" : "FAIL")] \(item.item): \(item.reason)") }
        }
    }
}

struct UpgradeNowCommand: ParsableCommand, RequestCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade-now",
        abstract: "Order the upgrade of ready organisations, after the window opens (UPG-4).",
        discussion: """
            Readiness is evaluated at the request instant. Naming an organisation that is not ready, \
            upgraded or already ordered refuses the whole request; --all-ready orders every ready one.

            Examples:
              rolloutctl upgrade-now --partner northwind --org contoso --org adatum
              rolloutctl upgrade-now --partner northwind --all-ready \\
                  --at 2027-01-06T17:00:00Z
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "The partner.") var partner: String
    @Option(help: "An organisation to order (repeatable).") var org: [String] = []
    @Flag(help: "Order every ready legacy organisation of the partner.") var allReady = false
    @OptionGroup var time: RequestTime
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard org.isEmpty != !allReady else { throw ValidationError("give --org (one or more) or --all-ready") }
    }

    func run() throws {
        let (configuration, store) = try options.openStore()
        let receipts = try refusable { try request(store, configuration) }
        if json { return try printJSON(receipts) }
        if receipts.isEmpty { print("no ready organisation to order") }
        let human = HumanTime(configuration.calendar)
        for receipt in receipts {
            print("order #\(receipt.order) for \(receipt.organisation) sent to the distributor; answer expected by "
                  + "\(human.instant(receipt.answerDue)), \(HumanTime.duration(Int64(receipt.answerDue.timeIntervalSince(receipt.orderedAt)))) after the order")
        }
    }

    func request(_ store: Store, _ configuration: RolloutDaemon.Configuration) throws -> [UpgradeOrderReceipt] {
        try store.requireExisting([(.partner, partner)] + org.map { (.organisation, $0) })
        return try store.requestUpgrade(partner: partner, organisations: allReady ? nil : org, at: time.instant,
                                        context: LoopSettings(configuration).rules)
    }
}
struct OrderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Distributor orders (UPG-4, UPG-5).",
        subcommands: [Result.self])

    enum Outcome: String, ExpressibleByArgument, CaseIterable {
        case processed, failed
    }

    struct Result: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write back the distributor's answer to an organisation's open order.",
            discussion: """
                The daemon applies it at its next wake: on processed the organisation becomes cloud and \
                its endpoints get their automatic-upgrade time; on failed the partner is told.

                Examples:
                  rolloutctl order result --org contoso processed \\
                      --at 2027-01-07T10:00:00Z
                  rolloutctl order result --org fabrikam failed \\
                      --reason "licence count mismatch"
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "The organisation.") var org: String
        @Argument(help: "processed or failed.") var outcome: Outcome
        @Option(help: "Why it failed.") var reason: String?
        @OptionGroup var time: RequestTime
        @Flag(help: "Print the receipt as JSON.") var json = false

        func run() throws {
            let (_, store) = try options.openStore()
            let order = try refusable {
                try store.requireExisting([(.organisation, org)])
                return try store.recordOrderAnswer(organisation: org, processed: outcome == .processed, reason: reason, at: time.instant)
            }
            if json {
                var details: [String: Receipt.Detail] = ["order": .number(order), "outcome": .text(outcome.rawValue)]
                details["reason"] = reason.map { .text($0) }
                return try printJSON(Receipt(request: "order_answer_recorded", subject: "organisation:\(org)", requestedAt: time.instant,
                                             details: details))
            }
            print("order #\(order) for \(org): \(outcome.rawValue); the daemon applies it at its next wake")
        }
    }
}

struct ProgressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress",
        abstract: "Programme progress per partner: organisations by generation and order state, endpoints by lifecycle state (UPG-8).",
        discussion: """
            With --watch, follows one partner's programme as `kubectl rollout status` follows a \
            rollout: a line each time its counts or pauses change, then exit 0 when it is \
            complete (every organisation cloud, every endpoint upgraded), 5 when it failed (its \
            failure threshold paused it, OPS-3), or 124 when --timeout passed first. An \
            operator's pause is shown and waited out.

            Examples:
              rolloutctl progress
              rolloutctl progress --partner northwind --json
              rolloutctl progress --partner northwind --watch \\
                  --interval 10 --timeout 3600
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Only this partner.") var partner: String?
    @Flag(help: "Print JSON (with --watch: one object per line, each time something changes).") var json = false
    @Flag(name: [.customShort("w"), .long], help: "Follow the partner's programme until it is complete (exit 0) or fails (exit 5).")
    var watch = false
    @Option(help: ArgumentHelp("With --watch: seconds between looks at the database (0.05-3600, default 2).", valueName: "SECONDS"))
    var interval: Double?
    @Option(help: ArgumentHelp("With --watch: give up after this many seconds (exit 124); default never.", valueName: "SECONDS"))
    var timeout: Double?

    func validate() throws {
        if !watch, interval != nil || timeout != nil { throw ValidationError("--interval and --timeout go with --watch") }
        if watch, partner == nil { throw ValidationError("--watch follows one programme: name its partner with --partner") }
        if let interval, !(0.05...3_600).contains(interval) { throw ValidationError("--interval must be between 0.05 and 3600 seconds") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() throws {
        let (configuration, store) = try options.openStore(readOnly: true)
        let time = HumanTime(configuration.calendar)
        if watch, let partner {
            return try ProgressWatch(store: store, partner: partner, json: json, time: time).follow(every: interval ?? 2, for: timeout)
        }
        let progress = try refusable { try store.progress(partner: partner) }
        if json { return try printJSON(progress) }
        for entry in progress {
            print("\(entry.partner)")
            entry.pauses.forEach { print("  PAUSED: " + describe($0, time: time, now: Date())) }
            print("  organisations: \(counts(entry.organisations))")
            print("  orders:        \(counts(entry.orders))")
            print("  endpoints:     \(counts(entry.endpoints))")
        }
    }
}

/// Counts for people: `cloud 2, legacy 1`, or `none`.
func counts(_ counts: [String: Int]) -> String {
    counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
}

struct NotificationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications",
        abstract: "The notification outbox: what partners, customer admins and end users were sent (NOT-1…3).",
        discussion: """
            Examples:
              rolloutctl notifications --partner northwind \\
                  --since 2027-01-01T00:00:00Z
              rolloutctl notifications --org contoso --json \\
                  | jq '.[] | select(.late)'
              rolloutctl notifications --after 120 --limit 50
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Only this partner's.") var partner: String?
    @Option(help: "Only this organisation's.") var org: String?
    @Option(help: ArgumentHelp("Only those due at or after this instant.", valueName: "INSTANT")) var since: InstantArgument?
    @Option(help: ArgumentHelp("Only those written after the notification with this id, in write order (a reader's cursor).",
                               valueName: "ID")) var after: Int64?
    @Option(help: "Show at most this many (the newest; with --after, the first after the cursor).") var limit: Int = 1_000
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let (configuration, store) = try options.openStore(readOnly: true)
        let entries = try refusable {
            try store.requireExisting([(.partner, partner), (.organisation, org)])
            return try store.notifications(partner: partner, organisation: org, since: since?.date, after: after, limit: limit)
        }
        if json { return try printJSON(entries) }
        let time = HumanTime(configuration.calendar)
        for entry in entries {
            let whom = entry.endpoint.map { "endpoint \($0)" } ?? entry.organisation.map { "organisation \($0)" } ?? entry.partner.map { "partner \($0)" } ?? "-"
            print("#\(entry.id) \(time.instant(entry.dueAt)) \(entry.kind) → \(entry.audience) (\(whom), \(entry.locale))\(entry.late ? " LATE" : ""): \(entry.subject)")
        }
    }
}
