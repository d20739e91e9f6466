public import Foundation
import Synchronization

/// The loop's only source of time. The daemon uses the system clock; `rolloutctl run`,
/// `forecast` and the tests use a virtual one, so ninety days of schedule run in milliseconds
/// through the same code.
public protocol WallClock: Sendable {
    func now() -> Date
    /// Sleeps toward `instant`. The system clock sleeps at most `poll` at a time, so the loop
    /// looks again for external changes, wall-clock jumps and signals; a virtual clock jumps.
    func sleep(until instant: Date, poll: Duration) async throws
}

/// Real time. Sleeps on the monotonic clock for at most `poll`, then the loop re-reads the wall
/// clock: an NTP step or a manual change is seen within one poll and never fires a wake twice,
/// because the processed cursor lives in the database (DMN-4).
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until instant: Date, poll: Duration) async throws {
        let remaining = Duration.milliseconds(Int64((instant.timeIntervalSinceNow * 1_000).rounded(.up)))
        let step = min(max(remaining, .milliseconds(1)), poll)
        try await Task.sleep(for: step)
    }
}

/// Time that moves only when the loop sleeps: each sleep jumps to the instant asked for.
public final class VirtualClock: WallClock {
    private let current: Mutex<Date>

    public init(startingAt instant: Date) {
        current = Mutex(instant)
    }

    public func now() -> Date { current.withLock { $0 } }

    public func sleep(until instant: Date, poll: Duration) async throws {
        try Task.checkCancellation()
        current.withLock { $0 = max($0, instant) }
    }
}
