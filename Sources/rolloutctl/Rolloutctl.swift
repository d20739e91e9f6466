import ArgumentParser

@main
struct Rolloutctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rolloutctl",
        abstract: "Operate rolloutd: load state, inspect it, and run the daemon's loop on a virtual clock.",
        discussion: """
            Every command reads the same configuration as the daemon (--config, default \
            /etc/rolloutd/rolloutd.toml) and works on the same database, safely while the daemon runs.

            Examples:
              rolloutctl apply --config config/rolloutd.toml examples/sample-state.json
              rolloutctl run --config config/rolloutd.toml --from 2026-03-02T16:00:00Z --until 2026-03-31T00:00:00Z
              rolloutctl calendar --from 2026-11-25T00:00:00Z --count 5
            """,
        subcommands: [
            ApplyCommand.self, GetCommand.self, RunCommand.self, CalendarCommand.self,
            ScheduleCommand.self, OverrideCommand.self, UserCommand.self, ExplainCommand.self, ReleasesCommand.self,
            SettingsCommand.self, EndpointCommand.self,
            ProgrammeCommand.self, ReadinessCommand.self, UpgradeNowCommand.self, OrderCommand.self, ProgressCommand.self,
            NotificationsCommand.self, WebhookCommand.self, DeliveriesCommand.self,
            StatusCommand.self, SkippedCommand.self, ForecastCommand.self, HistoryCommand.self,
            DatabaseCommand.self, ConfigCommand.self, TokenCommand.self,
        ])
}
