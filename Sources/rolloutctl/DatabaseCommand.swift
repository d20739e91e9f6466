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
            abstract: "Run SQLite's integrity and foreign-key checks and print the schema version (exit 1 on any problem).",
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
            let (_, store) = try options.openStore()
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
                Example:
                  rolloutctl db backup --config /etc/rolloutd/rolloutd.toml \\
                      /var/backups/rolloutd-$(date +%F).sqlite
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("Destination file (created or overwritten).", valueName: "FILE"))
        var destination: String

        @Flag(help: "Print the receipt as JSON.") var json = false

        func run() throws {
            let (_, store) = try options.openStore()
            do {
                try store.backup(to: destination)
            } catch {
                let directory = (destination as NSString).deletingLastPathComponent
                var isDirectory: ObjCBool = false
                let reason = !directory.isEmpty && !(FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue)
                    ? "no directory \(directory)" : "\(error)"
                printError("cannot write the backup to \(destination): \(reason)")
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
