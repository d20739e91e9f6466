import ArgumentParser
import RolloutEngine
import RolloutStore

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Database tools: integrity check, online backup.",
        subcommands: [Check.self, Backup.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run SQLite's integrity and foreign-key checks and print the schema version (exit 1 on any problem).",
            discussion: """
                Example:
                  rolloutctl db check --config /etc/rolloutd/rolloutd.toml
                """)

        @OptionGroup var options: ConfigOptions

        func run() throws {
            let (_, store) = try options.openStore()
            let problems = try store.integrityProblems()
            print("database: \(store.path)")
            print("schema version: \(try store.schemaVersion()) (this build knows \(Store.latestSchemaVersion))")
            if problems.isEmpty {
                print("integrity: ok")
            } else {
                print("integrity: \(problems.count) problem(s)")
                problems.forEach { print("  \($0)") }
                throw ExitCode.failure
            }
        }
    }

    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the database with SQLite's online backup, safe while the daemon runs.",
            discussion: """
                Example:
                  rolloutctl db backup --config /etc/rolloutd/rolloutd.toml /var/backups/rolloutd-$(date +%F).sqlite
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("Destination file (created or overwritten).", valueName: "FILE"))
        var destination: String

        func run() throws {
            let (_, store) = try options.openStore()
            try store.backup(to: destination)
            print("backed up \(store.path) to \(destination)")
        }
    }
}
