import Foundation
import RolloutStore

/// When a failed delivery is tried again (DLV-2): exponential backoff from
/// `first_retry_seconds`, doubling per attempt up to `max_retry_interval_seconds`, with "equal
/// jitter" (half the interval fixed, half random) so receivers that come back are not hit by
/// every sender at once; a last attempt at the end of the window, then the dead letter.
struct RetrySchedule: Sendable {
    let firstRetry: TimeInterval
    let maxInterval: TimeInterval
    let giveUpAfter: TimeInterval

    /// The interval before retry number `attempt` (1 = the first retry), without jitter.
    func interval(afterAttempt attempt: Int) -> TimeInterval {
        let doublings = Double(min(max(attempt - 1, 0), 62))
        return min(maxInterval, firstRetry * pow(2, doublings))
    }

    /// What a failed attempt leads to. `attempts` counts the attempts made, this one included;
    /// `retryFrom` starts the give-up window; `unit` (0..<1) is the jitter's random draw.
    func afterFailure(attempts: Int, retryFrom: Date, now: Date, unit: Double) -> DeliveryOutcome.Result {
        let deadline = retryFrom.addingTimeInterval(giveUpAfter)
        guard now < deadline else { return .dead }
        let interval = interval(afterAttempt: attempts)
        let next = now.addingTimeInterval(interval / 2 + interval / 2 * unit)
        return .retry(at: min(next, deadline))
    }
}
