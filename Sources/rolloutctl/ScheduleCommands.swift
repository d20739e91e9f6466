public import ArgumentParser
import Foundation
public import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore

extension Cadence: ExpressibleByArgument {}
extension Actor: ExpressibleByArgument {}
extension AutomaticUpgrades: ExpressibleByArgument {}
extension Platform: ExpressibleByArgument {}

/// `--at INSTANT`: when a request is made (default now), so scenarios replay exactly.
struct RequestTime: ParsableArguments {
    @Option(help: ArgumentHelp("When the request is made (default: now).", valueName: "INSTANT"))
    var at: InstantArgument?

    var instant: Date { at?.date ?? Date() }
}

/// Runs a change request and prints its receipt; a refusal exits 1 with the reason, an unknown id
/// exits 4, and nothing is written either way.
func submit(json: Bool, calendar: BusinessCalendar.Configuration, _ body: () throws -> ScheduleChangeReceipt) throws {
    let receipt = try refusable(body)
    if json { return try printJSON(receipt) }
    let time = HumanTime(calendar)
    print("requested #\(receipt.id) for \(receipt.subject): \(receipt.change)")
    if receipt.applyBy == receipt.requestedAt {
        print("the daemon applies it at \(time.instant(receipt.applyBy)) (at once: deferral weeks only, CAD-8)")
    } else {
        print("the daemon applies it at \(time.instant(receipt.applyBy)), \(HumanTime.duration(Int64(receipt.applyBy.timeIntervalSince(receipt.requestedAt)))) "
              + "after the request (CAD-8); `rolloutctl changes cancel \(receipt.id) --as \(receipt.requestedBy)` takes it back until then")
    }
}

struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Request a release schedule change for a partner or an organisation (CAD-1, CAD-4, CAD-8).",
        subcommands: [Set.self, Reset.self])

    struct Set: ParsableCommand, RequestCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a partner-level or org-level schedule, acting as a partner or a customer admin.",
            discussion: """
                The change is checked now (feature on, override allowed, deferral within bounds) and \
                applied by the daemon at the earlier of the next business-day boundary and 24 hours; a \
                change of deferral weeks alone applies at once. Refusals write nothing and exit 1.

                Examples:
                  rolloutctl schedule set --partner northwind --cadence latest \\
                      --defer-weeks 2
                  rolloutctl schedule set --partner northwind --org fabrikam \\
                      --cadence slow --as customer --at 2026-03-13T17:00:00Z
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "The partner acting, or whose schedule is set.") var partner: String
        @Option(help: "The organisation whose org-level schedule is set (omit for the partner-level schedule).") var org: String?
        @Option(help: "automatic, latest or slow.") var cadence: Cadence
        @Option(help: "Deferral in weeks (latest 0-4, slow 0-12; default the largest).") var deferWeeks: Int?
        @Option(name: .customLong("as"), help: "Who requests it: partner or customer (admin).") var actor: Actor = .partner
        @OptionGroup var time: RequestTime
        @Flag(help: "Print the receipt as JSON.") var json = false

        func run() throws {
            let (configuration, store) = try options.openStore()
            try submit(json: json, calendar: configuration.calendar) { try request(store, configuration) }
        }

        func request(_ store: Store, _ configuration: RolloutDaemon.Configuration) throws -> ScheduleChangeReceipt {
            try store.requestScheduleChange(partner: partner, organisation: org, request: .setSchedule(cadence: cadence, deferralWeeks: deferWeeks),
                                            actor: actor, at: time.instant, context: LoopSettings(configuration).rules)
        }
    }

    struct Reset: ParsableCommand, RequestCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an org-level schedule so the organisation follows its partner again (CAD-5).",
            discussion: """
                Example:
                  rolloutctl schedule reset --partner northwind --org fabrikam
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "The partner acting (a managing partner of the organisation).") var partner: String
        @Option(help: "The organisation.") var org: String
        @Option(name: .customLong("as"), help: "Who requests it: partner or customer (admin).") var actor: Actor = .partner
        @OptionGroup var time: RequestTime
        @Flag(help: "Print the receipt as JSON.") var json = false

        func run() throws {
            let (configuration, store) = try options.openStore()
            try submit(json: json, calendar: configuration.calendar) { try request(store, configuration) }
        }

        func request(_ store: Store, _ configuration: RolloutDaemon.Configuration) throws -> ScheduleChangeReceipt {
            try store.requestScheduleChange(partner: partner, organisation: org, request: .resetSchedule,
                                            actor: actor, at: time.instant, context: LoopSettings(configuration).rules)
        }
    }
}

struct OverrideCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "override",
        abstract: "Allow or forbid customer override, for a partner or one organisation (CAD-4, CAD-8).",
        subcommands: [Set.self])

    enum Value: String, ExpressibleByArgument, CaseIterable {
        case allow, deny, inherit
    }

    struct Set: ParsableCommand, RequestCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the allow_customer_override toggle (partner admins only).",
            discussion: """
                `inherit` removes an org-level toggle (the partner's applies) or restores the partner default (allowed).

                Examples:
                  rolloutctl override set --partner northwind deny
                  rolloutctl override set --partner northwind --org fabrikam allow \\
                      --at 2026-03-13T17:00:00Z
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "The partner acting.") var partner: String
        @Option(help: "The organisation (omit for the partner-level toggle).") var org: String?
        @Argument(help: "allow, deny or inherit.") var value: Value
        @OptionGroup var time: RequestTime
        @Flag(help: "Print the receipt as JSON.") var json = false

        func run() throws {
            let (configuration, store) = try options.openStore()
            try submit(json: json, calendar: configuration.calendar) { try request(store, configuration) }
        }

        func request(_ store: Store, _ configuration: RolloutDaemon.Configuration) throws -> ScheduleChangeReceipt {
            let allowed: Bool? = switch value {
            case .allow: true
            case .deny: false
            case .inherit: nil
            }
            return try store.requestScheduleChange(partner: partner, organisation: org, request: .setAllowCustomerOverride(allowed),
                                                   actor: .partner, at: time.instant, context: LoopSettings(configuration).rules)
        }
    }
}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "User settings.",
        subcommands: [SetAutoUpgrade.self])

    struct SetAutoUpgrade: ParsableCommand, RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-auto-upgrade",
            abstract: "Set a user's automatic-upgrades switch: on, off or inherit (CAD-6).",
            discussion: """
                With `off`, the user's endpoints stay on what they run. Targets follow at the next wake.

                Example:
                  rolloutctl user set-auto-upgrade --user contoso-u3 off
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "The user.") var user: String
        @Argument(help: "on, off or inherit.") var value: AutomaticUpgrades
        @OptionGroup var time: RequestTime
        @Flag(help: "Print the receipt as JSON.") var json = false

        func run() throws {
            let (configuration, store) = try options.openStore()
            try refusable { try request(store, configuration) }
            if json {
                return try printJSON(Receipt(request: "automatic_upgrades_set", subject: "user:\(user)", requestedAt: time.instant,
                                             details: ["automatic_upgrades": .text(value.rawValue)]))
            }
            print("user \(user): automatic upgrades \(value.rawValue); targets follow at the next wake")
        }

        func request(_ store: Store, _ configuration: RolloutDaemon.Configuration) throws {
            try store.setAutomaticUpgrades(user: user, to: value, at: time.instant)
        }
    }
}
