import ArgumentParser
import Foundation
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore

/// `--what releases|programme|all`.
enum PauseWhat: String, ExpressibleByArgument, CaseIterable {
    case releases, programme, all

    var areas: [PauseArea] { PauseArea.areas(rawValue) ?? [] }
}

/// The scope and areas of `pause` and `resume`.
struct PauseScope: ParsableArguments {
    @Option(help: "The partner whose work is paused (all its organisations, or only --org).") var partner: String
    @Option(help: "Only this organisation of the partner.") var org: String?
    @Option(help: "releases (release management), programme (the upgrade programme) or all.") var what: PauseWhat = .all
}

/// One line per pause for people: scope, area, since when, why and who.
func describe(_ pause: PauseRecord, time: HumanTime, now: Date) -> String {
    "\(pause.what) of \(pause.scope) paused since \(time.instant(pause.since)) (\(HumanTime.duration(Int64(now.timeIntervalSince(pause.since)))))"
        + " by \(pause.actor): \(pause.reason)"
}

/// `pause` and `resume`: a request on a scope that answers the pauses it created or ended, printed
/// as JSON, or one line each and what happens next.
protocol PauseControlCommand: RequestCommand where Answer == [PauseRecord] {
    var options: ConfigOptions { get }
    var json: Bool { get }
    /// One line for a pause the request created or ended.
    func line(for pause: PauseRecord, _ human: HumanTime) -> String
    /// What the operator can expect next.
    var next: String { get }
}

extension PauseControlCommand {
    func run() throws {
        let (configuration, store) = try options.openStore()
        let pauses = try refusable { try request(store, configuration) }
        if json { return try printJSON(pauses) }
        let human = HumanTime(configuration.calendar)
        pauses.forEach { print(line(for: $0, human)) }
        print(next)
    }
}

struct PauseCommand: PauseControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause release management, the upgrade programme, or both, for a partner or one organisation (OPS-1).",
        discussion: """
            From --at (default now), nothing in the scope moves by time: no new targets, no \
            endpoint upgrade started or forced, no automatic order, none of their notifications. \
            Reports from endpoints and the distributor are still recorded. The partner admins are \
            told, the journal records it, and status, progress, explain and STATUS= show it until \
            `rolloutctl resume`.

            Examples:
              rolloutctl pause --partner northwind --what programme \\
                  --reason "agent 14.2 crashes on boot"
              rolloutctl pause --partner northwind --org contoso \\
                  --reason "customer audit until Friday" \\
                  --at 2026-12-01T18:00:00Z --json
            """)

    @OptionGroup var options: ConfigOptions
    @OptionGroup var scope: PauseScope
    @Option(help: "Why (told to the partner admins; required).") var reason: String
    @OptionGroup var time: RequestTime
    @Flag(help: "Print the pauses created as JSON (fields in docs/cli.md).") var json = false

    func line(for pause: PauseRecord, _ human: HumanTime) -> String {
        "pause #\(pause.id): \(pause.what) of \(pause.scope) paused from \(human.instant(pause.since)): \(pause.reason)"
    }

    var next: String {
        "the daemon holds everything in that scope from then on; `rolloutctl resume --partner \(scope.partner)"
            + (scope.org.map { " --org \($0)" } ?? "") + " --what \(scope.what.rawValue)` ends it"
    }

    func request(_ store: Store, _ configuration: RolloutDaemon.Configuration) throws -> [PauseRecord] {
        try store.pause(partner: scope.partner, organisation: scope.org, areas: scope.what.areas, reason: reason, actor: "operator",
                        at: time.instant)
    }
}

struct ResumeCommand: PauseControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "End a pause (OPS-1): what fell due is decided at the next wake; end users' deadlines move by its length.",
        discussion: """
            Resumes exactly the scope that was paused (the partner, or --org). End users' deferral \
            deadlines and reminders move by the pause's length, endpoint upgrades that fell due \
            start at the resume, held changes and orders are decided at the resume wake. An \
            automatic pause (failure threshold, OPS-3) ends only this way.

            Examples:
              rolloutctl resume --partner northwind --what programme
              rolloutctl resume --partner northwind --org contoso \\
                  --at 2026-12-04T18:00:00Z --json
            """)

    @OptionGroup var options: ConfigOptions
    @OptionGroup var scope: PauseScope
    @OptionGroup var time: RequestTime
    @Flag(help: "Print the pauses ended as JSON (fields in docs/cli.md).") var json = false

    func line(for pause: PauseRecord, _ human: HumanTime) -> String {
        let length = HumanTime.duration(Int64((pause.resumedAt ?? pause.since).timeIntervalSince(pause.since)))
        return "pause #\(pause.id): \(pause.what) of \(pause.scope) resumed at \(human.instant(pause.resumedAt ?? pause.since)) "
            + "after \(length)" + (pause.what == "programme" ? "; end users' deferral deadlines move by \(length)" : "")
    }

    var next: String { "what fell due during the pause is decided at the daemon's next wake" }

    func request(_ store: Store, _ configuration: RolloutDaemon.Configuration) throws -> [PauseRecord] {
        try store.resume(partner: scope.partner, organisation: scope.org, areas: scope.what.areas, actor: "operator", at: time.instant)
    }
}

struct ChangesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes",
        abstract: "Pending schedule and override change requests with their apply-by (CAD-8); cancel one (OPS-2).",
        subcommands: [List.self, Cancel.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the pending change requests with their apply-by, soonest first (the default).",
            discussion: """
                Examples:
                  rolloutctl changes --partner northwind
                  rolloutctl changes list --org fabrikam --json
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "Only this partner's requests and those for its organisations.") var partner: String?
        @Option(help: "Only this organisation's requests.") var org: String?
        @Flag(help: "Print JSON (fields in docs/cli.md).") var json = false

        func run() throws {
            let (configuration, store) = try options.openStore(readOnly: true)
            let changes = try refusable {
                try store.requireExisting([(.partner, partner), (.organisation, org)])
                return try store.pendingChanges(partner: partner, organisation: org)
            }
            if json { return try printJSON(changes) }
            guard !changes.isEmpty else { return print("no pending change request") }
            let time = HumanTime(configuration.calendar)
            let now = Date()
            printTable(columns: ["id", "subject", "change", "requested_by", "requested_at", "apply_by"],
                       rows: changes.map { ["#\($0.id)", $0.subject, $0.change, $0.requestedBy, time.instant($0.requestedAt),
                                            "\(time.instant($0.applyBy)), \(HumanTime.relative($0.applyBy, to: now))"] })
        }
    }

    struct Cancel: ParsableCommand, RequestCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a pending change request, as the side that may set it (CAD-4, OPS-2).",
            discussion: """
                A partner admin may cancel the requests of its partner and organisations; a customer \
                admin those for its organisation while customer override is allowed. Coalescing then \
                considers only the remaining requests. Applied, superseded or cancelled requests are refused.

                Example:
                  rolloutctl changes cancel 12 --as partner --at 2026-11-13T18:00:00Z
                """)

        @OptionGroup var options: ConfigOptions
        @Argument(help: ArgumentHelp("The request's id (from `rolloutctl changes` or its receipt).", valueName: "ID")) var id: Int64
        @Option(name: .customLong("as"), help: "Who cancels: partner or customer (admin).") var actor: Actor
        @OptionGroup var time: RequestTime
        @Flag(help: "Print the receipt as JSON.") var json = false

        func run() throws {
            let (configuration, store) = try options.openStore()
            let cancelled = try refusable { try request(store, configuration) }
            if json { return try printJSON(cancelled) }
            print("cancelled #\(cancelled.id) for \(cancelled.subject): \(cancelled.change) "
                  + "(it would have applied at \(HumanTime(configuration.calendar).instant(cancelled.applyBy)))")
        }

        func request(_ store: Store, _ configuration: RolloutDaemon.Configuration) throws -> CancelledChange {
            try store.cancelChange(id: id, actor: actor, at: time.instant)
        }
    }
}
