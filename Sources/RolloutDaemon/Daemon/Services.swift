import Foundation
import RolloutEngine
import ServiceLifecycle
import UnixSignals

/// The wake loop as a service of the daemon's `ServiceGroup`. Graceful shutdown (SIGTERM,
/// SIGINT) cancels the loop, which honours it between wakes: the wake in progress commits, the
/// rest of a catch-up waits for the next start (DMN-2, DMN-3, DMN-6).
struct WakeLoopService: Service {
    let loop: WakeLoop
    /// Told as soon as shutdown is requested, before the wake in progress ends (STOPPING=1).
    let shutdownRequested: @Sendable () -> Void

    func run() async throws {
        do {
            try await withGracefulShutdownHandler {
                try await cancelWhenGracefulShutdown { [loop] in try await loop.run() }
            } onGracefulShutdown: {
                shutdownRequested()
            }
        } catch is CancellationError {
            // The stop asked for, between two wakes.
        }
    }
}

/// SIGHUP reloads the configuration (DMN-6), for as long as the daemon runs. `signals` is
/// `UnixSignalsSequence(trapping: .sighup)` in the daemon, a stream in tests.
struct ReloadService<Signals: AsyncSequence & Sendable>: Service where Signals.Element == UnixSignal {
    let signals: Signals
    let reload: @Sendable () -> Void

    func run() async throws {
        for try await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }
}

/// Feeds systemd's watchdog (WATCHDOG=1) every `interval` (half of `WatchdogSec=`) while the loop
/// shows life (`LoopPulse`): a wake longer than `WatchdogSec=` completes, a hung loop is restarted.
struct WatchdogService: Service {
    let interval: Duration
    let pulse: LoopPulse
    let ping: @Sendable () -> Void

    func run() async throws {
        // The unit's timeout is twice the ping interval (sd_watchdog_enabled(3)).
        let timeout = interval * 2
        try? await cancelWhenGracefulShutdown { [interval, pulse, ping] in
            while !Task.isCancelled {
                if pulse.isAlive(timeout: timeout) { ping() }
                try await Task.sleep(for: interval)
            }
        }
    }
}
