import ArgumentParser
import Foundation
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain an organisation's effective schedule and its endpoints' targets, with the chain of reasons (CAD-3).",
        discussion: """
            Examples:
              rolloutctl explain --org tailspin
              rolloutctl explain --org contoso --user contoso-u3 \\
                  --at 2026-12-01T16:00:00Z --json
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "The organisation.") var org: String
    @Option(help: "Show the targets of this user's endpoints.") var user: String?
    @Option(help: "Show the target of this endpoint.") var endpoint: String?
    @Option(help: ArgumentHelp("The instant to explain (default: now).", valueName: "INSTANT")) var at: InstantArgument?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if user != nil && endpoint != nil { throw ValidationError("give --user or --endpoint, not both") }
    }

    func run() throws {
        let (configuration, store) = try options.openStore(readOnly: true)
        let explanation = try refusable {
            try store.explain(organisation: org, user: user, endpoint: endpoint, at: at?.date ?? Date(),
                              context: LoopSettings(configuration).rules)
        }
        if json { return try printJSON(explanation) }
        let time = HumanTime(configuration.calendar)
        print("organisation \(explanation.organisation) at \(time.instant(explanation.at)): \(explanation.cadence), \(explanation.deferWeeks) week(s)")
        for reason in explanation.reasons { print("  \(reason)") }
        for target in explanation.endpoints {
            var line = "endpoint \(target.endpoint) (\(target.platform), runs \(target.installedVersion)): "
            switch target.decision {
            case "upgrade_to":
                line += "target \(target.targetVersion ?? "-"), effective \(target.releaseEffectiveAt.map(time.instant) ?? "-")"
                if target.critical == true { line += " (critical: at its automatic date)" }
            case "up_to_date": line += "up to date (no newer release effective; never downgraded)"
            case "user_opted_out": line += "stays on \(target.installedVersion): the user turned automatic upgrades off"
            default: line += "out of scope: mobile endpoints are not under release management"
            }
            print("  \(line) [\(target.rule)]")
        }
        for pause in explanation.pauses {
            print("  PAUSED: " + describe(pause, time: time, now: Date())
                  + (pause.what == "releases" ? " — targets are not applied until it is resumed" : ""))
        }
    }
}

struct ReleasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "releases",
        abstract: "The release catalogue: versions, automatic dates, critical flag and builds per platform (CAD-11).",
        discussion: """
            Examples:
              rolloutctl releases
              rolloutctl releases --platform linux --builds
              rolloutctl releases --version 45.3.0 --json \\
                  | jq -r '.[0].builds[] | "\\(.file) \\(.sha256)"'
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Only releases with a build for this platform, and only that build.") var platform: Platform?
    @Option(help: "Only this release.") var version: String?
    @Flag(help: "List each build's file, size and sha256.") var builds = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let (configuration, store) = try options.openStore(readOnly: true)
        let releases = try refusable {
            let releases = try store.releaseCatalogue(platform: platform, version: version)
            if let version, releases.isEmpty, platform == nil {
                throw StoreError(code: .notFound, message: "no such release '\(version)'")
            }
            return releases
        }
        if json { return try printJSON(releases) }
        let time = HumanTime(configuration.calendar)
        if builds || version != nil {
            printTable(columns: ["version", "platform", "file", "size", "sha256"],
                       rows: releases.flatMap { release in
                           release.builds.map { [release.version, $0.platform, $0.file, String($0.size), $0.sha256] }
                       })
        } else {
            printTable(columns: ["version", "automatic_date", "critical", "platforms"],
                       rows: releases.map { [$0.version, time.instant($0.automaticDate), $0.critical ? "yes" : "no",
                                             $0.builds.map(\.platform).joined(separator: ",")] })
        }
    }
}

struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "Organisation release settings, as an admin sees them.",
        subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an organisation's settings; a customer admin's first read migrates legacy settings (CAD-10).",
            discussion: """
                Example:
                  rolloutctl settings show --org lamna --as customer
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "The organisation.") var org: String
        @Option(name: .customLong("as"), help: "Who reads: partner or customer (admin).") var actor: Actor = .partner
        @OptionGroup var time: RequestTime
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (configuration, store) = try options.openStore()
            let settings = try refusable { try store.settings(organisation: org, reader: actor, at: time.instant) }
            if json { return try printJSON(settings) }
            let human = HumanTime(configuration.calendar)
            print("organisation \(settings.organisation)")
            print("  org-level schedule: " + (settings.cadence.map { "\($0), \(settings.deferWeeks ?? 0) week(s), set by \(settings.scheduleOrigin ?? "-") at \(settings.scheduleSetAt.map(human.instant) ?? "-")" } ?? "none"))
            print("  customer override (org-level): " + (settings.allowCustomerOverride.map { $0 ? "allowed" : "not allowed" } ?? "inherited from the partner"))
            if let months = settings.legacyDeferMonths {
                print("  legacy deferral: \(months) month(s)" + (settings.legacyMigratedAt.map { ", migrated \(human.instant($0))" } ?? ", not migrated"))
            }
            if settings.migratedNow { print("  migrated now: the legacy setting was rewritten as a cadence (CAD-10)") }
            if let problem = settings.legacyProblem { print("  warning: \(problem)") }
            print("  effective: \(settings.effective.schedule)")
            for reason in settings.effective.reasons { print("    \(reason)") }
        }
    }
}

struct EndpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoint",
        abstract: "What endpoints, their users and their partner report (CAD-2, UPG-6).",
        subcommands: [Report.self, Defer.self, UpgradeNow.self, ReportInstalled.self, ReportRestart.self, ReportFailure.self, Trigger.self])

    /// One end-user or device event through the core's lifecycle (UPG-6).
    struct Event: ParsableArguments {
        @OptionGroup var options: ConfigOptions
        @Option(help: "The endpoint.") var id: String
        @OptionGroup var time: RequestTime
        @Flag(help: "Print the receipt as JSON.") var json = false

        func apply(_ event: EndpointUpgradeEvent, name: String) throws {
            let (configuration, store) = try options.openStore()
            let state = try refusable {
                try store.endpointEvent(event, endpoint: id, at: time.instant, context: LoopSettings(configuration).rules)
            }
            if json {
                return try printJSON(Receipt(request: "endpoint_event", subject: "endpoint:\(id)", requestedAt: time.instant,
                                             details: ["event": .text(name), "upgrade_state": .text(state.rawValue)]))
            }
            print("endpoint \(id): \(state.rawValue)")
        }
    }

    struct Defer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "defer", abstract: "The end user postpones the upgrade (until the deadline D at most).",
            discussion: "Example:\n  rolloutctl endpoint defer --id contoso-e1 --at 2027-02-08T17:00:00Z")
        @OptionGroup var event: Event
        func run() throws { try event.apply(.userDeferred, name: "defer") }
    }

    struct UpgradeNow: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "upgrade-now", abstract: "The end user chooses to install the upgrade now.",
            discussion: "Example:\n  rolloutctl endpoint upgrade-now --id contoso-e1")
        @OptionGroup var event: Event
        func run() throws { try event.apply(.userUpgradeNow, name: "upgrade-now") }
    }

    struct ReportInstalled: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report-installed", abstract: "The device installed the new agent and needs a restart.",
            discussion: "Example:\n  rolloutctl endpoint report-installed --id contoso-e1")
        @OptionGroup var event: Event
        func run() throws { try event.apply(.installCompleted, name: "report-installed") }
    }

    struct ReportRestart: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report-restart", abstract: "The device restarted on the new agent: upgraded (the end user is told).",
            discussion: "Example:\n  rolloutctl endpoint report-restart --id contoso-e1")
        @OptionGroup var event: Event
        func run() throws { try event.apply(.restartReported, name: "report-restart") }
    }

    struct ReportFailure: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report-failure", abstract: "The device reports the upgrade failed (the partner is told).",
            discussion: "Example:\n  rolloutctl endpoint report-failure --id contoso-e1 \\\n      --reason \"disk full\"")
        @OptionGroup var event: Event
        @Option(help: "What failed.") var reason: String
        func run() throws { try event.apply(.failureReported(reason: reason), name: "report-failure") }
    }

    struct Trigger: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trigger", abstract: "The partner triggers an endpoint's upgrade (policy manual, or a retry after failure).",
            discussion: "Example:\n  rolloutctl endpoint trigger --id wingtip-e1")
        @OptionGroup var event: Event
        func run() throws { try event.apply(.triggered, name: "trigger") }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the version an endpoint reports it runs.",
            discussion: """
                Example:
                  rolloutctl endpoint report --id contoso-e1 --version 45.11.0 \\
                      --at 2026-11-12T10:00:00Z
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "The endpoint.") var id: String
        @Option(help: "The installed version.") var version: String
        @OptionGroup var time: RequestTime
        @Flag(help: "Print the receipt as JSON.") var json = false

        func run() throws {
            guard let parsed = Version(version) else {
                printError("'\(version)' is not a version; expected dotted numbers such as 45.2.0")
                throw ExitCode.validationFailure
            }
            let (_, store) = try options.openStore()
            try refusable { try store.reportInstalledVersion(endpoint: id, version: parsed, at: time.instant) }
            if json {
                return try printJSON(Receipt(request: "installed_version_reported", subject: "endpoint:\(id)", requestedAt: time.instant,
                                             details: ["installed_version": .text(parsed.description)]))
            }
            print("endpoint \(id): runs \(parsed); its target follows at the next wake")
        }
    }
}
