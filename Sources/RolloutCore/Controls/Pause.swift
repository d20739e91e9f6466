public import Foundation

/// What an operator or partner admin pauses (OPS-1): release management, the upgrade
/// programme, or both (`all`, which is stored as one pause per area).
public enum PauseArea: String, CaseIterable, Codable, Sendable {
    case releases, programme

    /// The areas a `--what` value names.
    public static func areas(_ what: String) -> [PauseArea]? {
        what == "all" ? allCases : PauseArea(rawValue: what).map { [$0] }
    }

    /// How notifications name the area.
    public func text(_ language: Language) -> String {
        switch (self, language) {
        case (.releases, .en): "release management"
        case (.programme, .en): "the upgrade programme"
        case (.releases, .fr): "la gestion des versions"
        case (.programme, .fr): "le programme de migration"
        }
    }
}

/// How long a pause lasted, for moving end users' deferral deadlines D (OPS-1): elapsed seconds,
/// so nobody gets less time than they were promised, whatever the calendar did meanwhile.
public struct PauseSpan: Equatable, Sendable {
    public let since: Date
    public let until: Date

    public init(since: Date, until: Date) {
        self.since = since
        self.until = until
    }

    public var seconds: Int64 { max(0, Int64(until.timeIntervalSince(since).rounded())) }

    /// A deadline that was still ahead when the pause began moves by the pause's length; one
    /// that had already passed is left alone.
    public func moved(_ deadline: Date) -> Date {
        deadline >= since ? deadline.addingTimeInterval(TimeInterval(seconds)) : deadline
    }
}

/// OPS-3: a partner's programme pauses itself when more than `percent` % of the endpoints that
/// entered `installing` in the last `windowDays` days ended `failed`, once at least `minimum` did.
public struct FailureThreshold: Codable, Equatable, Sendable {
    public var percent: Int
    public var minimum: Int
    public var windowDays: Int

    /// The SPEC default: more than 10 % of at least 20, over 7 days.
    public static let standard = FailureThreshold(percent: 10, minimum: 20, windowDays: 7)

    public init(percent: Int, minimum: Int, windowDays: Int = 7) {
        self.percent = percent
        self.minimum = minimum
        self.windowDays = windowDays
    }

    /// True when `failed` of `entered` exceed the threshold.
    public func isExceeded(entered: Int, failed: Int) -> Bool {
        entered >= minimum && failed * 100 > percent * entered
    }
}

extension FailureThreshold {
    /// What an automatic pause tells the partner admins (OPS-3): the counts and the most
    /// frequent failure reasons.
    public struct Summary: Sendable {
        public let entered: Int
        public let failed: Int
        public let threshold: FailureThreshold
        public let reasons: [(reason: String, count: Int)]

        public init(entered: Int, failed: Int, threshold: FailureThreshold, reasons: [(reason: String, count: Int)]) {
            self.entered = entered
            self.failed = failed
            self.threshold = threshold
            self.reasons = reasons
        }

        public func text(_ language: Language) -> String {
            let percent = entered == 0 ? 0 : Double(failed) * 100 / Double(entered)
            let share = String(format: "%.1f", percent)
            let list = reasons.map { "\($0.reason) (\($0.count))" }.joined(separator: ", ")
            switch language {
            case .en:
                return "\(failed) of the \(entered) endpoints that started installing in the last \(threshold.windowDays) days failed "
                    + "(\(share) %, above the threshold of \(threshold.percent) % once at least \(threshold.minimum) started). "
                    + "Most frequent reasons: \(list)."
            case .fr:
                return "\(failed) des \(entered) postes dont l'installation a commencé ces \(threshold.windowDays) derniers jours ont "
                    + "échoué (\(share.replacingOccurrences(of: ".", with: ",")) %, au-delà du seuil de \(threshold.percent) % dès "
                    + "\(threshold.minimum) installations). Motifs les plus fréquents : \(list)."
            }
        }
    }
}
