import ArgumentParser
import Foundation
import RolloutDaemon

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Configuration tools.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration without starting anything (exit 0 valid, 78 invalid).",
            discussion: """
                Example:
                  rolloutctl config check --config /etc/rolloutd/rolloutd.toml
                """)

        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print JSON: {file, valid, key?, reason?}.") var json = false

        struct Report: Encodable {
            let file: String
            let valid: Bool
            let key: String?
            let reason: String?
        }

        func run() throws {
            guard json else {
                _ = try options.load()
                return print("configuration ok: \(options.config)")
            }
            let problem: ConfigurationError?
            do {
                _ = try RolloutDaemon.Configuration.load(file: options.config)
                problem = nil
            } catch {
                problem = error
            }
            try printJSON(Report(file: options.config, valid: problem == nil, key: problem?.key, reason: problem?.reason))
            if problem != nil { throw ExitCode(Daemon.ExitStatus.configuration.rawValue) }
        }
    }
}
