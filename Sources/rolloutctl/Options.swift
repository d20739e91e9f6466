import ArgumentParser
import Foundation
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore

/// `--config`, shared by every command, and what it opens.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (the daemon's); default $ROLLOUTD_CONFIG, else /etc/rolloutd/rolloutd.toml.",
                                            valueName: "FILE"))
    var config: String = Release.defaultConfigPath(environment: ProcessInfo.processInfo.environment)

    /// The configuration, or exit 78 with file, key and reason (DMN-7).
    func load() throws -> RolloutDaemon.Configuration {
        do {
            return try RolloutDaemon.Configuration.load(file: config)
        } catch {
            printError("invalid configuration: \(error)")
            throw ExitCode(Daemon.ExitStatus.configuration.rawValue)
        }
    }

    /// The configured store, created and migrated if new; read-only commands leave the file
    /// byte-for-byte as it was.
    func openStore(readOnly: Bool = false) throws -> (RolloutDaemon.Configuration, Store) {
        let configuration = try load()
        let path = configuration.store.resolvedPath(environment: ProcessInfo.processInfo.environment)
        do {
            return (configuration, try Store(path: path, busyTimeout: TimeInterval(configuration.store.busyTimeoutMilliseconds) / 1_000,
                                             readOnly: readOnly))
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }
}

/// Exit statuses of rolloutctl beyond 0, 1, 64 (usage) and 78 (configuration); docs/cli.md and
/// docs/operations.md list them all.
enum Exit {
    /// An id names no partner, organisation, user, endpoint, release or request ("no such
    /// subject"), like `systemctl status` for a unit that does not exist.
    static let noSuchSubject = ExitCode(4)
    /// `progress --watch`: the programme failed — its failure threshold paused it (OPS-3).
    static let programmeFailed = ExitCode(5)
    /// `progress --watch --timeout`: the bound passed first, as timeout(1) exits.
    static let timedOut = ExitCode(124)
}

/// Parses an instant argument (`2026-03-09T15:00:00Z`).
struct InstantArgument: ExpressibleByArgument {
    let date: Date

    init?(argument: String) {
        guard let date = Instant.parse(argument) else { return nil }
        self.date = date
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("rolloutctl: \(message)\n".utf8))
}

/// Runs a store request or query, turning a refusal into its message and exit 1, and an unknown
/// id into its message and exit 4 (no such subject).
func refusable<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as StoreError {
        printError(error.message)
        throw error.code == .notFound ? Exit.noSuchSubject : ExitCode.failure
    }
}

/// Stable JSON for `--json`: sorted keys, instants as UTC ISO-8601 strings; pretty-printed, or
/// one line (`lines`) for a stream of objects, flushed at once so a reader sees each as it comes.
func printJSON<T: Encodable>(_ value: T, lines: Bool = false) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = lines ? [.sortedKeys, .withoutEscapingSlashes] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(Instant.format(date))
    }
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
    if lines { fflush(nil) }  // nil: every stream; `stdout` is a C global Swift 6 will not touch
}

/// Columns aligned for a terminal, like `kubectl get`.
func printTable(columns: [String], rows: [[String]]) {
    var widths = columns.map(\.count)
    for row in rows {
        for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
    print(line(columns.map { $0.uppercased() }))
    rows.forEach { print(line($0)) }
}
