/// The kinds of journal entry the daemon writes (DMN-5). Each has a stable `MESSAGE_ID`,
/// documented in `systemd/rolloutd.catalog` so `journalctl -x` explains it and operators can
/// filter with `journalctl MESSAGE_ID=…`.
public enum JournalMessage: String, CaseIterable, Sendable {
    /// The store is open and migrated; the daemon told systemd READY=1.
    case started = "d280f58db66b4a51a9adc8fe716f6aba"
    /// One summary per processed wake: counts by decision, duration, late items.
    case wake = "8a70321d43144265a51bc71aea0388c8"
    /// A stretch of wakes that decided nothing, summarized in one entry (DMN-5).
    case idle = "073b37cb0df9413091cd2912abae6106"
    /// The daemon found missed wakes after downtime and is replaying them in order (DMN-2).
    case catchUp = "18f452ba8b6e4d04bf59ec7abd6e316a"
    /// A schedule or override change was applied (CAD-8).
    case changeApplied = "a6d1cb4bf2f3478da90fc7786b3d1f1b"
    /// A subject broke a rule and was skipped; every other subject proceeded (DMN-7).
    case subjectSkipped = "39e5ab86c4fb41e59bb23f2511eb1e49"
    /// SIGHUP: the new configuration was validated and is in force.
    case reloaded = "3e9a0f78444845fa9862f612d933d5ba"
    /// SIGHUP: the new configuration was invalid; the old one stays in force.
    case reloadRejected = "1336b3ff203742588dd73f6ea61046ae"
    /// SIGTERM: the daemon finished its current wake and is exiting.
    case stopping = "4137e6a06bc543e283325c6e1b721ac5"
    /// The configuration at start is invalid; the daemon exits 78 (EX_CONFIG).
    case configInvalid = "2fb8863c1316488685f175af94250bb6"
    /// `rolloutd deliver` opened the store and told systemd READY=1 (DLV-1).
    case delivererStarted = "77e510f83165440e85eabb6184f9aa8a"
    /// One summary per delivery round: attempts, delivered, retried, dead-lettered (DLV-4).
    case deliveryRound = "586927cd2d4b4f628dfcdf1f8b632b2c"
    /// A webhook answered 410 Gone and was disabled; its open deliveries are dead letters (DLV-2).
    case webhookDisabled = "5461cc3ce1a243b79d710c16e25f5e12"
    /// Release management or the upgrade programme was paused for a partner or organisation (OPS-1).
    case paused = "78ad01232f114651b8fdf3d4dcbd230f"
    /// A pause ended; what fell due is decided at this wake (OPS-1).
    case resumed = "c68a06e7cc2742ab9045295695ca5927"
    /// A partner's programme paused itself: its failure threshold was exceeded (OPS-3).
    case failureThreshold = "e64e50648b4c43bf8b43e6addb56ae14"

    /// The UUID form journald's catalog uses (32 lowercase hex digits).
    public var id: String { rawValue }
}
