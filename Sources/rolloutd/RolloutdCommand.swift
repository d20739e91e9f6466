import ArgumentParser
import Foundation
import Logging
import RolloutDaemon
import RolloutEngine
import RolloutStore
import RolloutSystemd

@main
struct RolloutdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rolloutd",
        abstract: "The rollout scheduler daemon: wakes on business-day boundaries and deadlines, decides, records, notifies.",
        discussion: """
            Runs under systemd (Type=notify) or in a terminal, where it logs to stderr.

            Examples:
              rolloutd --config /etc/rolloutd/rolloutd.toml
              rolloutd --config ./config/rolloutd.toml --check-config

            The configuration is --config FILE, else $ROLLOUTD_CONFIG, else /etc/rolloutd/rolloutd.toml.
            Exit status: 0 clean stop, 1 failure (systemd restarts it), 78 invalid configuration. See rolloutd(8).
            """,
        version: Release.version,
        subcommands: [DeliverCommand.self, ServeCommand.self])

    @Option(name: .long, help: ArgumentHelp("Configuration file; default $ROLLOUTD_CONFIG, else /etc/rolloutd/rolloutd.toml.", valueName: "FILE"))
    var config: String = Release.defaultConfigPath(environment: ProcessInfo.processInfo.environment)

    @Flag(name: .long, help: "Validate the configuration and exit (0 valid, 78 invalid), like nginx -t.")
    var checkConfig = false

    func run() async throws {
        let configuration: RolloutDaemon.Configuration
        do {
            configuration = try RolloutDaemon.Configuration.load(file: config)
        } catch {
            reportInvalidConfiguration(error, identifier: "rolloutd", checkOnly: checkConfig)
            throw ExitCode(Daemon.ExitStatus.configuration.rawValue)
        }
        if checkConfig {
            print("configuration ok: \(config)")
            return
        }

        let (logger, store) = try startLoggingAndOpenStore(configuration, identifier: "rolloutd")
        let daemon = Daemon(configurationPath: config, configuration: configuration, store: store,
                            rules: Rules.all, notifier: .fromEnvironment(), logger: logger)
        let status = await daemon.run()
        if status != .ok { throw ExitCode(status.rawValue) }
    }
}

/// How both `rolloutd` and `rolloutd deliver` start once their configuration is valid: logging to
/// the journal under systemd (stderr otherwise), then the configured store, opened and migrated.
/// A store that cannot be opened is logged and exits 1, or 78 for a newer schema, which
/// restarting this build cannot fix (78 stops the unit's restarts).
func startLoggingAndOpenStore(_ configuration: RolloutDaemon.Configuration, identifier: String) throws -> (Logger, Store) {
    bootstrapLogging(identifier: identifier, level: configuration.daemon.logLevel, destination: .detect())
    var logger = Logger(label: identifier)
    logger.logLevel = configuration.daemon.logLevel
    let path = configuration.store.resolvedPath(environment: ProcessInfo.processInfo.environment)
    do {
        return (logger, try Store(path: path, busyTimeout: TimeInterval(configuration.store.busyTimeoutMilliseconds) / 1_000))
    } catch {
        logger.critical("\(error)", metadata: ["rollout.database": "\(path)"])
        let status: Daemon.ExitStatus = error.code == .newerSchema ? .configuration : .failure
        throw ExitCode(status.rawValue)
    }
}

/// DMN-7: file, key and reason on stderr, and in the journal with its MESSAGE_ID when running
/// under systemd, before exiting 78. Under systemd, `--check-config` runs as the unit's first
/// `ExecReload=` (DMN-6): its refusal is the "reload refused" entry, and `systemctl reload` fails
/// without the daemon ever being signalled. `identifier` names the process: `rolloutd`, or
/// `rolloutd-deliver` for `rolloutd deliver`, `rolloutd-api` for `rolloutd serve`.
///
/// The reason also goes to stderr under systemd: journald attributes a native entry to its unit by
/// reading the sender's cgroup, which fails when the process has already exited (systemd 252), so
/// the structured entry may lack `_SYSTEMD_UNIT`. The stderr stream carries its unit from the
/// start, so `journalctl -u rolloutd` always shows why the start failed.
func reportInvalidConfiguration(_ error: ConfigurationError, identifier: String, checkOnly: Bool) {
    FileHandle.standardError.write(Data("\(identifier): invalid configuration: \(error)\n".utf8))
    guard LogDestination.detect() == .journal else { return }
    let handler = makeLogHandler(identifier: identifier, level: .error, destination: .journal)
    let logger = Logger(label: identifier, factory: { _ in handler })
    let (message, id) = checkOnly
        ? ("configuration reload refused, the configuration in force stays: \(error)", JournalMessage.reloadRejected)
        : ("invalid configuration: \(error)", JournalMessage.configInvalid)
    logger.error("\(message)", metadata: [
        "MESSAGE_ID": "\(id.id)",
        "rollout.config": "\(error.file)",
        "rollout.config_key": "\(error.key ?? "")",
    ])
}
