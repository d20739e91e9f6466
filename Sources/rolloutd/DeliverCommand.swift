import ArgumentParser
import Dispatch
import Foundation
import Logging
import RolloutDaemon
import RolloutDelivery
import RolloutStore
import RolloutSystemd

/// `rolloutd deliver`: the webhook deliverer (DLV-1…5), run by rolloutd-deliver.service — the
/// only rolloutd process with network access; the scheduler keeps `PrivateNetwork=yes`.
struct DeliverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Deliver the notification outbox to partners' webhooks: signed POSTs, retries, dead letters.",
        discussion: """
            Runs under systemd (Type=notify, rolloutd-deliver.service) or in a terminal, where it logs \
            to stderr. Takes rolloutd's own options: --config FILE (the daemon's configuration, whose \
            [delivery] table it reads; docs/delivery.md) and --check-config.

            Examples:
              rolloutd deliver --config /etc/rolloutd/rolloutd.toml
              rolloutd deliver --config ./config/rolloutd.toml --check-config

            Exit status: 0 clean stop, 1 failure (systemd restarts it), 78 invalid configuration.
            """)

    /// `--config` and `--check-config` are rolloutd's, wherever they are written.
    @ParentCommand var daemon: RolloutdCommand

    func run() async throws {
        let config = daemon.config
        let configuration: RolloutDaemon.Configuration
        do {
            configuration = try RolloutDaemon.Configuration.load(file: config)
        } catch {
            reportInvalidConfiguration(error, identifier: "rolloutd-deliver", checkOnly: daemon.checkConfig)
            throw ExitCode(Daemon.ExitStatus.configuration.rawValue)
        }
        if daemon.checkConfig {
            print("configuration ok: \(config)")
            return
        }
        let (logger, store) = try startLoggingAndOpenStore(configuration, identifier: "rolloutd-deliver")
        let webhooks = (try? store.webhooks().count) ?? 0
        let notifier = ServiceNotifier.fromEnvironment()
        let deliverer = Deliverer(configuration: configuration, store: store, notifier: notifier, logger: logger)
        logger.info("rolloutd deliver started: \(webhooks) webhook(s)", metadata: [
            "MESSAGE_ID": "\(JournalMessage.delivererStarted.id)",
            "rollout.database": "\(store.path)",
            "rollout.config": "\(config)",
            "rollout.webhooks": "\(webhooks)",
        ])
        let task = Task { await deliverer.run() }
        let signals = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        notifier.ready(status: "delivering")
        await task.value
        notifier.stopping(status: "stopping")
        logger.notice("rolloutd deliver stopping", metadata: ["MESSAGE_ID": "\(JournalMessage.stopping.id)"])
    }
}
