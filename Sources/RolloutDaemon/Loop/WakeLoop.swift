public import Foundation
public import RolloutCore
public import RolloutEngine
public import RolloutStore

/// What the loop needs from the configuration; re-read at every iteration, so a reload
/// (SIGHUP) takes effect at the next wake without restarting.
public struct LoopSettings: Sendable {
    public var rules: RuleContext
    public var poll: Duration

    public init(rules: RuleContext, poll: Duration) {
        self.rules = rules
        self.poll = poll
    }

    public init(_ configuration: Configuration) {
        self.init(
            rules: RuleContext(calendar: BusinessCalendar(configuration.calendar), policy: configuration.policy,
                               retargetsPerWake: configuration.daemon.retargetsPerWake),
            poll: .seconds(configuration.daemon.pollIntervalSeconds))
    }
}

/// What the loop reports as it goes; the daemon turns these into journal entries and STATUS=,
/// `rolloutctl run` into lines or JSON.
public enum LoopEvent: Sendable {
    /// Wakes were missed (downtime, a forward clock jump); they are replayed in order (DMN-2).
    case catchUpStarted(firstMissed: Date, now: Date)
    case catchUpFinished(replayed: Int)
    case wake(WakeSummary)
    /// Another loop processed this wake first; this one did nothing (DMN-4).
    case alreadyProcessed(Wake)
    /// Nothing is due; the loop sleeps until this wake or the next poll.
    case idle(next: Wake)
}

/// The daemon's loop (DMN-1…4): wake at the earliest of the next boundary and every deadline
/// the rules own, process each wake at its own logical instant, in order, one transaction
/// each, and sleep again. `rolloutctl run --until` runs this same loop on a virtual clock.
public struct WakeLoop: Sendable {
    /// A wake processed this long after its instant is late: its notifications are marked so (NOT-3).
    public static let lateTolerance: TimeInterval = 60

    public let store: Store
    public let rules: [any WakeRule]
    public let clock: any WallClock
    public let settings: @Sendable () -> LoopSettings
    /// Called at every poll and after every wake with the wall clock: the daemon records its
    /// heartbeat there (DMN-8). A failure (a full disk) ends the loop like a failed wake.
    public let heartbeat: @Sendable (Date) throws -> Void
    public let report: @Sendable (LoopEvent) -> Void
    /// Told when the loop is alive and when a wake is in progress: the watchdog's evidence.
    public let pulse: LoopPulse?

    /// How long the loop stays off the write lock between two wakes that are due back to back
    /// (a catch-up, `run`): long enough for a writer polling every millisecond (the store's busy
    /// handler) to take its turn, so the CLI and consoles never see "database is locked" (DMN-7).
    public static let writersTurn: Duration = .milliseconds(2)

    public init(store: Store, rules: [any WakeRule], clock: any WallClock,
                settings: @escaping @Sendable () -> LoopSettings,
                heartbeat: @escaping @Sendable (Date) throws -> Void = { _ in },
                report: @escaping @Sendable (LoopEvent) -> Void, pulse: LoopPulse? = nil) {
        self.store = store
        self.rules = rules
        self.clock = clock
        self.settings = settings
        self.heartbeat = heartbeat
        self.report = report
        self.pulse = pulse
    }

    /// Runs until `until` (then marks everything through it processed and returns), or forever
    /// when nil, until the task is cancelled (SIGTERM). A wake in progress always completes:
    /// cancellation is honoured between wakes, also between the wakes of a catch-up, so a stop
    /// waits for one wake at most.
    public func run(until: Date? = nil) async throws {
        while true {
            try Task.checkCancellation()
            pulse?.beat()
            let current = settings()
            let now = clock.now()
            let horizon = until.map { min($0, now) } ?? now
            let upcoming = try await processDue(through: horizon, now: now, settings: current)
            try heartbeat(clock.now())
            if let until, now >= until {
                try store.advanceClock(through: until)
                return
            }
            guard let next = upcoming else {
                throw StoreError(code: .notFound, message: "the store has no clock: start it before running the loop")
            }
            report(.idle(next: next))
            try await clock.sleep(until: until.map { min(next.at, $0) } ?? next.at, poll: current.poll)
        }
    }

    /// Processes every wake at or before `horizon`, oldest first, until cancelled.
    /// - Returns: the next wake, after `horizon` (nil when the store has no clock), so that an
    ///   idle poll reads the rules' deadlines once, not twice.
    private func processDue(through horizon: Date, now: Date, settings: LoopSettings) async throws -> Wake? {
        var replayed = 0
        var first = true
        var next = try store.nextWake(rules: rules, context: settings.rules)
        while let wake = next, wake.at <= horizon {
            try Task.checkCancellation()
            if !first {
                try await Task.sleep(for: Self.writersTurn)
                try heartbeat(clock.now())
            }
            first = false
            let late = now.timeIntervalSince(wake.at) > Self.lateTolerance
            if late && replayed == 0 { report(.catchUpStarted(firstMissed: wake.at, now: now)) }
            pulse?.wakeStarted()
            // Its own task: the loop's cancellation does not reach it, so the wake commits
            // whole instead of being interrupted and replayed at the next start.
            let outcome = await Task { [store, rules] in
                try await store.processWithoutBlocking(wake, rules: rules, context: settings.rules, late: late)
            }.result
            pulse?.wakeFinished()
            switch try outcome.get() {
            case .processed(let summary): report(.wake(summary))
            case .alreadyProcessed: report(.alreadyProcessed(wake))
            }
            if late { replayed += 1 }
            next = try store.nextWake(rules: rules, context: settings.rules)
        }
        if replayed > 0 { report(.catchUpFinished(replayed: replayed)) }
        return next
    }
}
