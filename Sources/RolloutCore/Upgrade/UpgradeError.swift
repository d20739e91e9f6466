public import Foundation

/// A request of the customer upgrade programme that breaks a rule (UPG-1, UPG-5, UPG-6, UPG-9).
/// Nothing is written when one is thrown. `code` is stable for scripts and the CLI's `--json`;
/// `message` says what is wrong and what to do instead.
public struct UpgradeError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, CaseIterable, Sendable {
        /// A programme instant that must be a business-day boundary is not one (UPG-1).
        case notABoundary = "not_a_boundary"
        /// Announcement, window start and automatic upgrade are not in that order (UPG-1).
        case outOfOrder = "out_of_order"
        /// An endpoint event that its current lifecycle state does not accept (UPG-6).
        case invalidTransition = "invalid_transition"
        /// The end user tried to defer at or after the deferral deadline (UPG-6).
        case deferralDeadlinePassed = "deferral_deadline_passed"
        /// An event that needs a deadline or reminder to have come arrived before it (UPG-6).
        case tooEarly = "too_early"
        /// A number of days outside what the rule allows (UPG-5 delay, UPG-6 deferral limit).
        case daysOutOfRange = "days_out_of_range"
        /// A billing day outside 1...28 (UPG-9).
        case billingDayOutOfRange = "billing_day_out_of_range"
    }

    public let code: Code
    /// The SPEC rule the request breaks (`UPG-1`).
    public let rule: String
    public let message: String
    /// The instant to use instead, when there is one: the nearest boundary after a rejected time (UPG-1).
    public let suggestion: Date?

    public init(_ code: Code, rule: String, _ message: String, suggestion: Date? = nil) {
        self.code = code
        self.rule = rule
        self.message = message
        self.suggestion = suggestion
    }

    public var description: String { "\(code.rawValue): \(message) (\(rule))" }
}
