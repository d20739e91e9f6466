import ArgumentParser
import RolloutEngine
import RolloutStore

extension EntityKind: ExpressibleByArgument {}

struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "List what is stored: partners, organisations, users, endpoints or releases.",
        discussion: """
            Examples:
              rolloutctl get organisations
              rolloutctl get endpoints --json | jq '.[] | select(.target_version != null)'
            """)

    @OptionGroup var options: ConfigOptions

    @Argument(help: ArgumentHelp("What to list: \(EntityKind.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "KIND"))
    var kind: EntityKind

    @Flag(help: "Print a JSON array of objects (fields documented in docs/cli.md).")
    var json = false

    func run() throws {
        let (_, store) = try options.openStore(readOnly: true)
        let (columns, rows) = try store.list(kind)
        if json {
            try printJSON(rows.map { Dictionary(uniqueKeysWithValues: zip(columns, $0)) })
        } else {
            printTable(columns: columns, rows: rows.map { $0.map(\.text) })
        }
    }
}
