/// Release cadences (CAD-1): how long after the vendor's automatic date a release is taken.
public enum Cadence: String, CaseIterable, Codable, Sendable {
    case automatic, latest, slow

    /// The deferral bounds in weeks, inclusive (CAD-1).
    public var deferralWeeks: ClosedRange<Int> {
        switch self {
        case .automatic: 0...0
        case .latest: 0...4
        case .slow: 0...12
        }
    }

    /// The deferral a schedule gets when none is given (CAD-1).
    public var defaultDeferralWeeks: Int { deferralWeeks.upperBound }

    /// Speed order (CAD-9): automatic is fastest, then latest, then slow.
    public var speedRank: Int {
        switch self {
        case .automatic: 0
        case .latest: 1
        case .slow: 2
        }
    }
}

/// A release schedule: a cadence and a deferral in weeks (CAD-1, CAD-2).
public struct Schedule: Hashable, Codable, Sendable, CustomStringConvertible {
    public let cadence: Cadence
    public let deferralWeeks: Int

    enum CodingKeys: String, CodingKey {
        case cadence
        case deferralWeeks = "defer_weeks"
    }

    /// The vendor default: `automatic`, no deferral.
    public static let vendorDefault = Schedule(unchecked: .automatic, deferralWeeks: 0)

    /// A schedule whose deferral is within the cadence's bounds (CAD-1). Without a deferral,
    /// the cadence's default applies.
    public init(cadence: Cadence, deferralWeeks: Int? = nil) throws(ScheduleError) {
        let weeks = deferralWeeks ?? cadence.defaultDeferralWeeks
        guard cadence.deferralWeeks.contains(weeks) else {
            throw ScheduleError(cadence: cadence, deferralWeeks: weeks)
        }
        self.cadence = cadence
        self.deferralWeeks = weeks
    }

    /// A schedule read back from storage, where it was validated when written.
    public init(stored cadence: Cadence, deferralWeeks: Int) {
        self.init(unchecked: cadence, deferralWeeks: deferralWeeks)
    }

    init(unchecked cadence: Cadence, deferralWeeks: Int) {
        self.cadence = cadence
        self.deferralWeeks = deferralWeeks
    }

    public var description: String { "\(cadence.rawValue) +\(deferralWeeks)w" }
}

/// A deferral outside its cadence's bounds (CAD-1). The message names the bound.
public struct ScheduleError: Error, Equatable, Sendable, CustomStringConvertible {
    public let cadence: Cadence
    public let deferralWeeks: Int

    public var description: String {
        let bounds = cadence.deferralWeeks
        return "deferral of \(deferralWeeks) weeks is out of bounds for cadence '\(cadence.rawValue)': "
            + "it must be between \(bounds.lowerBound) and \(bounds.upperBound) weeks (CAD-1)"
    }
}
