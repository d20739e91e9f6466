extension Schedule {
    /// Speed order (CAD-9): `automatic`, then `latest`, then `slow`; within a cadence, fewer
    /// deferral weeks is faster. What a switch does to a client follows from the target version
    /// (CAD-2): see ``ReleaseTimeline/target(for:at:under:)``.
    public func isFaster(than other: Schedule) -> Bool {
        (cadence.speedRank, deferralWeeks) < (other.cadence.speedRank, other.deferralWeeks)
    }
}
