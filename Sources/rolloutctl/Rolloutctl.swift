import ArgumentParser
import Foundation
import RolloutDaemon

@main
struct Rolloutctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rolloutctl",
        abstract: "Operate rolloutd: load state, inspect it, and run the daemon's loop on a virtual clock.",
        discussion: """
            Every command reads the same configuration as the daemon and works on the same database, \
            safely while the daemon runs. The configuration is --config FILE (before or after the \
            command), else $ROLLOUTD_CONFIG, else /etc/rolloutd/rolloutd.toml.

            Examples:
              rolloutctl --config config/rolloutd.toml \\
                  apply examples/sample-state.json
              rolloutctl run --config config/rolloutd.toml \\
                  --from 2026-03-02T16:00:00Z --until 2026-03-31T00:00:00Z
              ROLLOUTD_CONFIG=examples/local.toml \\
                  rolloutctl calendar --from 2026-11-25T00:00:00Z --count 5
            """,
        version: Release.version,
        subcommands: [
            ApplyCommand.self, GetCommand.self, RunCommand.self, CalendarCommand.self,
            ScheduleCommand.self, OverrideCommand.self, UserCommand.self, ExplainCommand.self, ReleasesCommand.self,
            SettingsCommand.self, EndpointCommand.self,
            ProgrammeCommand.self, ReadinessCommand.self, UpgradeNowCommand.self, OrderCommand.self, ProgressCommand.self,
            NotificationsCommand.self, WebhookCommand.self, DeliveriesCommand.self,
            PauseCommand.self, ResumeCommand.self, ChangesCommand.self,
            StatusCommand.self, SkippedCommand.self, ForecastCommand.self, HistoryCommand.self,
            DatabaseCommand.self, ConfigCommand.self, TokenCommand.self,
        ])

    /// Parses and runs one command line (without the program name). Every error message starts
    /// with `rolloutctl:`, argument errors included.
    static func main() async {
        let status = await execute(hoistingConfiguration(Array(CommandLine.arguments.dropFirst())))
        Foundation.exit(status)
    }

    static func execute(_ arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            return 0
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
            } else if !message.isEmpty {
                let text = message.hasPrefix("Error: ") ? "rolloutctl: " + message.dropFirst("Error: ".count) : "rolloutctl: " + message
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
            return code.rawValue
        }
    }

    /// `--config FILE` given before the command (`rolloutctl --config F status`) works as if
    /// given after it: it becomes this process's `ROLLOUTD_CONFIG`, which every command's
    /// `--config` defaults to.
    static func hoistingConfiguration(_ arguments: [String]) -> [String] {
        var rest = arguments[...]
        var leading: [String] = []
        while let first = rest.first, first.hasPrefix("-") {
            if first == "--config", rest.count >= 2 {
                setenv(Release.configEnvironmentVariable, rest[rest.startIndex + 1], 1)
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--config=") {
                setenv(Release.configEnvironmentVariable, String(first.dropFirst("--config=".count)), 1)
                rest = rest.dropFirst()
            } else {
                leading.append(first)
                rest = rest.dropFirst()
            }
        }
        return leading + rest
    }
}
