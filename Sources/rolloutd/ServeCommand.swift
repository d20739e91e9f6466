import ArgumentParser
import Foundation
import Logging
import RolloutAPI
import RolloutDaemon
import RolloutStore
import RolloutEngine
import RolloutSystemd

/// `rolloutd serve`: the integration API (SPEC §8) as a process of its own
/// (systemd/rolloutd-api.service), beside the scheduler that keeps `PrivateNetwork=yes`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the integration API for consoles, agents and distributors (HTTP, behind a TLS proxy).",
        discussion: """
            Listens where [api] listen says (default 127.0.0.1:8480) and shares the scheduler's database.
            Under systemd (Type=notify) it reports READY=1 once listening. See docs/api.md.

            Examples:
              rolloutd serve --config /etc/rolloutd/rolloutd.toml
              curl -s http://127.0.0.1:8480/v1/health

            Exit status: 0 clean stop (SIGTERM), 1 failure, 78 invalid configuration.
            """)

    /// `--config FILE` belongs to `rolloutd` and is parsed on either side of `serve`.
    @ParentCommand var rolloutd: RolloutdCommand

    func run() async throws {
        let config = rolloutd.config
        let configuration: RolloutDaemon.Configuration
        do {
            configuration = try RolloutDaemon.Configuration.load(file: config)
        } catch {
            reportInvalidConfiguration(error, identifier: "rolloutd-api", checkOnly: false)
            throw ExitCode(Daemon.ExitStatus.configuration.rawValue)
        }
        bootstrapLogging(identifier: "rolloutd-api", level: configuration.daemon.logLevel, destination: .detect())
        let logger = {
            var logger = Logger(label: "rolloutd-api")
            logger.logLevel = configuration.daemon.logLevel
            return logger
        }()
        let environment = ProcessInfo.processInfo.environment
        let path = configuration.store.resolvedPath(environment: environment)
        let server: APIServer
        do {
            let store = try Store(path: path, busyTimeout: TimeInterval(configuration.store.busyTimeoutMilliseconds) / 1_000)
            server = try APIServer(configuration: configuration, store: store,
                                   inboxPath: configuration.api.resolvedInboxPath(databasePath: path), logger: logger)
        } catch {
            logger.critical("cannot start the API: \(error)", metadata: ["rollout.database": "\(path)"])
            throw ExitCode(Daemon.ExitStatus.failure.rawValue)
        }
        let notifier = ServiceNotifier.fromEnvironment()
        let host = configuration.api.host
        do {
            try await server.run { port in
                logger.info("listening on \(host):\(port)")
                notifier.ready(status: "listening on \(host):\(port)")
            }
        } catch {
            logger.critical("the API stopped: \(error)")
            throw ExitCode(Daemon.ExitStatus.failure.rawValue)
        }
    }
}
