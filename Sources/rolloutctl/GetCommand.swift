import ArgumentParser
import RolloutEngine
import RolloutStore

/// `partners` or `partner`, `organisations` or `organisation` (and `orgs`/`org`), …
struct KindArgument: ExpressibleByArgument {
    let kind: EntityKind

    init?(argument: String) {
        let word = argument.lowercased()
        guard let kind = EntityKind.allCases.first(where: {
            word == $0.rawValue || word == $0.singular.rawValue || (word == "org" || word == "orgs") && $0 == .organisations
        }) else { return nil }
        self.kind = kind
    }

    static var allValueStrings: [String] { EntityKind.allCases.map(\.rawValue) }
}

struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "List what is stored (partners, organisations, users, endpoints, releases), or show one of them.",
        discussion: """
            The table shows the main columns; -o wide shows every column, --json every field. \
            With an ID, one object is shown field by field (an unknown ID exits 4).

            Examples:
              rolloutctl get organisations --partner northwind
              rolloutctl get organisation contoso
              rolloutctl get endpoints --org contoso -o wide
              rolloutctl get endpoints --json \\
                  | jq '.[] | select(.target_version != null)'
            """)

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case wide, json
    }

    @OptionGroup var options: ConfigOptions

    @Argument(help: ArgumentHelp("What to list: \(EntityKind.allCases.map(\.rawValue).joined(separator: ", ")) (or the singular).",
                                 valueName: "KIND"))
    var kind: KindArgument

    @Argument(help: ArgumentHelp("Show only this one (an id; a version for releases).", valueName: "ID"))
    var id: String?

    @Option(help: "Only those of this partner (its organisations, their users and endpoints; the partner itself).")
    var partner: String?

    @Option(help: "Only those of this organisation (itself, its users and endpoints; its managing partners).")
    var org: String?

    @Option(name: .shortAndLong, help: "Output format: wide (every column) or json.")
    var output: Output?

    @Flag(help: "Print JSON: an array of objects, or one object with an ID (fields documented in docs/cli.md).")
    var json = false

    func validate() throws {
        if kind.kind == .releases && (partner != nil || org != nil) {
            throw ValidationError("releases belong to no partner or organisation: drop --partner/--org")
        }
    }

    func run() throws {
        let (_, store) = try options.openStore(readOnly: true)
        let (columns, rows) = try refusable {
            try store.requireExisting([(.partner, partner), (.organisation, org)])
            let listed = try store.list(kind.kind, partner: partner, organisation: org, id: id)
            if let id, listed.rows.isEmpty {
                throw StoreError(code: .notFound, message: "no such \(kind.kind.singular.rawValue) '\(id)'")
            }
            return listed
        }
        let objects = rows.map { Dictionary(uniqueKeysWithValues: zip(columns, $0)) }
        if json || output == .json {
            return try id == nil ? printJSON(objects) : printJSON(objects[0])
        }
        if id != nil {
            let width = columns.map(\.count).max() ?? 0
            for (column, value) in zip(columns, rows[0]) {
                print("\(column.padding(toLength: width, withPad: " ", startingAt: 0))  \(value.text)")
            }
            return
        }
        let shown = output == .wide ? columns : kind.kind.narrowColumns
        let indexes = shown.compactMap { columns.firstIndex(of: $0) }
        printTable(columns: indexes.map { columns[$0] }, rows: rows.map { row in indexes.map { row[$0].text } })
    }
}
