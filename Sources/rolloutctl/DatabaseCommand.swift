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
            abstract: "Run SQLite's integrity and foreign-key checks, compare the schema with this build's, print the schema version (exit 1 on any problem).",
            discussion: """
                Example:
                  rolloutctl db check --config /etc/rolloutd/rolloutd.toml
                """)

        @OptionGroup var options: ConfigOptions

        func run() throws {
            let (_, store) = try options.openStore(readOnly: true)
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
                The copy is created with mode 0600 (it holds customer data). A symbolic link is \
                never followed, and an existing file is replaced only with --force. The copy is \
                not served by any daemon: `run` may simulate on it.

                Example:
                  rolloutctl db backup --config /etc/rolloutd/rolloutd.toml /var/backups/rolloutd-$(date +%F).sqlite
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("Destination file, created 0600.", valueName: "FILE"))
        var destination: String

        @Flag(help: "Replace the destination if it exists (never through a symbolic link).")
        var force = false

        func run() throws {
            let (_, store) = try options.openStore(readOnly: true)
            do {
                try store.backup(to: destination, overwrite: force)
            } catch let error as StoreError {
                printError("backup to \(destination) refused: \(error)")
                throw ExitCode.failure
            }
            print("backed up \(store.path) to \(destination)")
        }
    }
}
