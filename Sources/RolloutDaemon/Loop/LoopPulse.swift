import Synchronization

/// What the watchdog knows of the loop (DMN-6, DMN-8): when it last went round, and whether a
/// wake is in progress.
///
/// The daemon pings systemd's watchdog from its own task, not from the loop, so that a wake
/// longer than `WatchdogSec=` (a million endpoints retargeted, a long catch-up) is not killed and
/// replayed in a loop. A hung loop must still trip the watchdog, so the pinger pings only while
/// the loop shows life: it went round within the watchdog timeout, or it is inside a wake, which
/// is one database transaction that ends by committing or failing.
public final class LoopPulse: Sendable {
    private struct State {
        var lastBeat: ContinuousClock.Instant
        var wakeStarted: ContinuousClock.Instant?
    }

    private let state: Mutex<State>

    public init(now: ContinuousClock.Instant = .now) {
        state = Mutex(State(lastBeat: now))
    }

    /// The loop went round (a poll, a wake finished).
    public func beat(at now: ContinuousClock.Instant = .now) {
        state.withLock { $0.lastBeat = now }
    }

    public func wakeStarted(at now: ContinuousClock.Instant = .now) {
        state.withLock {
            $0.lastBeat = now
            $0.wakeStarted = now
        }
    }

    public func wakeFinished(at now: ContinuousClock.Instant = .now) {
        state.withLock {
            $0.lastBeat = now
            $0.wakeStarted = nil
        }
    }

    /// When the wake in progress started; nil between wakes.
    public var wakeInProgressSince: ContinuousClock.Instant? {
        state.withLock { $0.wakeStarted }
    }

    /// True when the loop shows life: a wake is in progress, or the loop went round less than
    /// `timeout` ago (the unit's `WatchdogSec=`).
    public func isAlive(at now: ContinuousClock.Instant = .now, timeout: Duration) -> Bool {
        state.withLock { $0.wakeStarted != nil || now - $0.lastBeat < timeout }
    }
}
