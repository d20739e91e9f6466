import ArgumentParser
import Foundation
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
        @Flag(help: "Print JSON (fields in docs/cli.md).") var json = false

        struct Report: Encodable {
            let database: String
            let schemaVersion: Int
            let latestSchemaVersion: Int
            let ok: Bool
            let problems: [String]

            enum CodingKeys: String, CodingKey {
                case database, ok, problems
                case schemaVersion = "schema_version"
                case latestSchemaVersion = "latest_schema_version"
            }
        }

        func run() throws {
            let (_, store) = try options.openStore(readOnly: true)
            let problems = try store.integrityProblems()
            let report = Report(database: store.path, schemaVersion: try store.schemaVersion(), latestSchemaVersion: Store.latestSchemaVersion,
                                ok: problems.isEmpty, problems: problems)
            if json {
                try printJSON(report)
            } else {
                print("database: \(report.database)")
                print("schema version: \(report.schemaVersion) (this build knows \(report.latestSchemaVersion))")
                print(problems.isEmpty ? "integrity: ok" : "integrity: \(problems.count) problem(s)")
                problems.forEach { print("  \($0)") }
            }
            if !problems.isEmpty { throw ExitCode.failure }
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
                  rolloutctl db backup --config /etc/rolloutd/rolloutd.toml \\
                      /var/backups/rolloutd-$(date +%F).sqlite
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("Destination file, created 0600.", valueName: "FILE"))
        var destination: String

        @Flag(help: "Replace the destination if it exists (never through a symbolic link).")
        var force = false

        @Flag(help: "Print the receipt as JSON.") var json = false

        func run() throws {
            let (_, store) = try options.openStore(readOnly: true)
            do {
                try store.backup(to: destination, overwrite: force)
            } catch let error as StoreError {
                printError("backup to \(destination) refused: \(error)")
                throw ExitCode.failure
            }
            if json {
                return try printJSON(Receipt(request: "backup_written", subject: destination, requestedAt: Date(),
                                             details: ["database": .text(store.path)]))
            }
            print("backed up \(store.path) to \(destination)")
        }
    }
}
