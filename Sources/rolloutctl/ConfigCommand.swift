import ArgumentParser

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

        func run() throws {
            _ = try options.load()
            print("configuration ok: \(options.config)")
        }
    }
}
