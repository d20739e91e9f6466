import Foundation
public import Logging
import RolloutCore
public import RolloutEngine
public import RolloutStore
public import RolloutSystemd
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The long-running service (DMN-6): opens and migrates the store, tells systemd READY=1, runs
/// the wake loop on the system clock, reloads its configuration on SIGHUP, feeds the watchdog
/// and stops cleanly on SIGTERM. Everything it decides goes through `WakeLoop`; this type only
/// wires the edges.
public final class Daemon: Sendable {
    /// Exit statuses (documented in docs/operations.md).
    public enum ExitStatus: Int32 {
        case ok = 0
        case failure = 1
        /// EX_CONFIG: the unit's `RestartPreventExitStatus=78` stops a restart loop on a bad file.
        case configuration = 78
    }

    private let configurationPath: String
    private let store: Store
    private let notifier: ServiceNotifier
    private let state: Mutex<State>
    private let rules: [any WakeRule]
    private let journal = WakeJournalWriter()

    private struct State {
        var configuration: Configuration
        var logger: Logger
        var lastWake: WakeSummary?
        var pending: (PendingCounts, [ProgrammeProgress])?
        var changeToken: Int?
        var reloads = 0
        var lastBeat: ContinuousClock.Instant?
    }

    public init(configurationPath: String, configuration: Configuration, store: Store, rules: [any WakeRule],
                notifier: ServiceNotifier, logger: Logger) {
        self.configurationPath = configurationPath
        self.store = store
        self.rules = rules
        self.notifier = notifier
        state = Mutex(State(configuration: configuration, logger: logger))
    }

    private var logger: Logger { state.withLock { $0.logger } }

    /// Settings for the loop: the configured poll, never longer than half the watchdog interval,
    /// because the loop pings the watchdog itself — a stuck loop must trip it.
    private func settings() -> LoopSettings {
        var settings = LoopSettings(state.withLock { $0.configuration })
        if let watchdog = notifier.watchdogInterval { settings.poll = min(settings.poll, watchdog) }
        return settings
    }

    /// Runs until SIGTERM or SIGINT. Returns the process exit status.
    ///
    /// The daemon is a `ServiceGroup` (swift-service-lifecycle): the wake loop, SIGHUP reloads and
    /// the watchdog are its services; SIGTERM and SIGINT shut it down gracefully — the wake in
    /// progress commits, then the loop stops, even in the middle of a catch-up.
    public func run() async -> ExitStatus {
        let clock = SystemClock()
        do {
            let cursor = try store.startClock(at: clock.now())
            logger.info("rolloutd started", metadata: [
                "MESSAGE_ID": "\(JournalMessage.started.id)",
                "rollout.database": "\(store.path)",
                "rollout.config": "\(configurationPath)",
                "rollout.processed_through": "\(Instant.format(cursor))",
            ])
            try store.startHeartbeat(pid: Int(getpid()), host: ProcessInfo.processInfo.hostName,
                                     pollSeconds: pollSeconds(), at: clock.now())
        } catch {
            logger.critical("cannot start the clock in \(store.path): \(error)")
            return .failure
        }
        let pulse = LoopPulse()
        let loop = WakeLoop(store: store, rules: rules, clock: clock, settings: { [self] in settings() },
                            heartbeat: { [self] in try beat(at: $0) }, report: { [self] in handle($0) }, pulse: pulse)
        let group = ServiceGroup(configuration: await serviceGroupConfiguration(loop: loop, pulse: pulse))
        notifier.ready(status: statusText(next: nil))
        do {
            try await group.run()
            journal.flush(to: logger)
            do {
                try store.stopHeartbeat(at: clock.now())
            } catch {
                logger.error("cannot record the clean stop in \(store.path): \(error)")
            }
            return .ok
        } catch {
            logger.critical("the wake loop failed: \(error)", metadata: ["rollout.database": "\(store.path)"])
            return .failure
        }
    }

    /// The services, in start order; graceful shutdown runs in reverse, so the loop finishes its
    /// wake while the watchdog is still fed.
    private func serviceGroupConfiguration(loop: WakeLoop, pulse: LoopPulse) async -> ServiceGroupConfiguration {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let interval = notifier.watchdogInterval {
            services.append(.init(service: WatchdogService(interval: interval, pulse: pulse, ping: { [notifier] in notifier.watchdogPing() }),
                                  successTerminationBehavior: .ignore))
        }
        services.append(.init(service: ReloadService(signals: await UnixSignalsSequence(trapping: .sighup), reload: { [self] in reload() }),
                              successTerminationBehavior: .ignore))
        // The loop ends only when asked to stop: then the whole daemon stops.
        services.append(.init(service: WakeLoopService(loop: loop, shutdownRequested: { [self] in stopping(pulse: pulse) }),
                              successTerminationBehavior: .gracefullyShutdownGroup))
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = [.sigterm, .sigint]
        return configuration
    }

    /// STOPPING=1 and the journal entry, as soon as the stop is asked for.
    private func stopping(pulse: LoopPulse) {
        let inWake = pulse.wakeInProgressSince != nil
        notifier.stopping(status: inWake ? "stopping after the wake in progress" : "stopping")
        logger.notice("rolloutd stopping\(inWake ? " after the wake in progress" : "")",
                      metadata: ["MESSAGE_ID": "\(JournalMessage.stopping.id)"])
    }

    // MARK: Heartbeat (DMN-8)

    /// The poll interval the loop really uses, in whole seconds: `status` allows two of them.
    private func pollSeconds() -> Int {
        let poll = settings().poll.components
        return max(1, Int(poll.seconds) + (poll.attoseconds > 0 ? 1 : 0))
    }

    /// Records the heartbeat at most once a second: the loop calls this at every poll and
    /// between the wakes of a catch-up, which may be milliseconds apart.
    private func beat(at now: Date) throws {
        let tick = ContinuousClock.now
        let due = state.withLock { state in
            guard let last = state.lastBeat, tick - last < .seconds(1) else {
                state.lastBeat = tick
                return true
            }
            return false
        }
        if due { try store.beat(at: now, pollSeconds: pollSeconds()) }
    }

    // MARK: Loop events → journal, STATUS=, watchdog

    private func handle(_ event: LoopEvent) {
        let logger = self.logger
        switch event {
        case .catchUpStarted(let firstMissed, let now):
            logger.notice("catching up: replaying missed wakes from \(Instant.format(firstMissed)) to \(Instant.format(now))", metadata: [
                "MESSAGE_ID": "\(JournalMessage.catchUp.id)",
                "rollout.first_missed": "\(Instant.format(firstMissed))",
            ])
        case .catchUpFinished(let replayed):
            logger.notice("caught up: \(replayed) missed wake(s) replayed in order", metadata: [
                "MESSAGE_ID": "\(JournalMessage.catchUp.id)",
                "rollout.replayed": "\(replayed)",
            ])
        case .wake(let summary):
            journal.log(summary, to: logger)
            if logger.logLevel <= .debug, !summary.decisions.isEmpty {
                WakeJournal.logOrganisations(try? store.decisionsByOrganisation(at: summary.at), of: summary, to: logger)
            }
            state.withLock {
                $0.lastWake = summary
                $0.pending = nil
            }
        case .alreadyProcessed(let wake):
            logger.info("wake \(Instant.format(wake.at)) was already processed by another loop; skipped")
        case .idle(let next):
            notifier.status(statusText(next: next))
        }
    }

    /// The STATUS= line `systemctl status` shows: next wake and why, pending work, last wake.
    private func statusText(next: Wake?) -> String {
        let pending = currentPending()
        var parts: [String] = []
        if let next {
            parts.append("next wake \(Instant.format(next.at)) (\(next.reasons.map(\.description).joined(separator: ", ")))")
        } else {
            parts.append("next wake being computed")
        }
        if let (pending, progress) = pending {
            parts.append("pending: \(pending.changes) change(s), \(pending.openOrders) open order(s), \(pending.scheduledEndpointUpgrades) endpoint upgrade(s) scheduled")
            if pending.pauses > 0 { parts.append("PAUSED: \(pending.pauses) pause(s) in force (rolloutctl status)") }
            if !progress.isEmpty {
                func sum(_ counts: KeyPath<ProgrammeProgress, [String: Int]>, _ key: String) -> Int {
                    progress.map { $0[keyPath: counts][key] ?? 0 }.reduce(0, +)
                }
                let endpoints = progress.map { $0.endpoints.values.reduce(0, +) }.reduce(0, +)
                parts.append("upgrade programme (UPG-8): \(sum(\.organisations, "cloud")) cloud / \(sum(\.organisations, "legacy")) legacy organisation(s), "
                             + "\(sum(\.endpoints, "upgraded"))/\(endpoints) endpoint(s) upgraded, \(sum(\.endpoints, "failed")) failed")
            }
        }
        if let last = state.withLock({ $0.lastWake }) {
            parts.append("last wake \(Instant.format(last.at))")
        }
        return parts.joined(separator: "; ")
    }

    /// Pending counts and programme progress summed over partners, recounted only after a wake
    /// or when another process wrote to the store.
    private func currentPending() -> (PendingCounts, [ProgrammeProgress])? {
        let token = try? store.externalChangeToken()
        if let cached = state.withLock({ $0.changeToken == token ? $0.pending : nil }) { return cached }
        guard let pending = try? store.pendingCounts(), let progress = try? store.progress(partner: nil) else { return nil }
        let counts = (pending, progress)
        state.withLock {
            $0.pending = counts
            $0.changeToken = token
        }
        return counts
    }

    // MARK: SIGHUP

    /// RELOADING=1, re-read and validate, READY=1. An invalid file is refused and logged, and
    /// the configuration in force stays (DMN-6).
    private func reload() {
        notifier.reloading(status: "reloading \(configurationPath)")
        do {
            let fresh = try Configuration.load(file: configurationPath)
            let count = state.withLock {
                $0.configuration = fresh
                $0.logger.logLevel = fresh.daemon.logLevel
                $0.reloads += 1
                return $0.reloads
            }
            logger.notice("configuration reloaded from \(configurationPath)", metadata: [
                "MESSAGE_ID": "\(JournalMessage.reloaded.id)",
                "rollout.config": "\(configurationPath)",
                "rollout.reloads": "\(count)",
            ])
        } catch {
            logger.error("configuration reload refused, the previous configuration stays in force: \(error)", metadata: [
                "MESSAGE_ID": "\(JournalMessage.reloadRejected.id)",
                "rollout.config": "\(configurationPath)",
                "rollout.config_key": "\(error.key ?? "")",
            ])
        }
        notifier.ready(status: statusText(next: nil))
    }
}
