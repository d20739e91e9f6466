import Dispatch
import Foundation
import GRDB
import RolloutCore
@testable import RolloutDaemon
import RolloutEngine
import RolloutStore
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing
import UnixSignals

/// The daemon's services on swift-service-lifecycle (DMN-6, DMN-8), driven as service-lifecycle's
/// own tests drive theirs: run the service, trigger graceful shutdown with the test kit, and check
/// what it did and that it returned.
@Suite struct DaemonLifecycleTests {
    /// A wall clock stopped at one instant whose sleeps are real (and cancellable), as the daemon's
    /// are: the loop catches up to `now` and then polls.
    struct StoppedClock: WallClock {
        let instant: Date
        func now() -> Date { instant }
        func sleep(until instant: Date, poll: Duration) async throws { try await Task.sleep(for: poll) }
    }

    /// A rule that holds its first wake until the test lets it go, and tells when it is held.
    final class HeldFirstWakeRule: WakeRule {
        private let held = DispatchSemaphore(value: 0)
        private let calls = Mutex(0)
        let started: AsyncStream<Void>
        private let startedContinuation: AsyncStream<Void>.Continuation

        init() {
            (started, startedContinuation) = AsyncStream.makeStream()
        }

        func release() { held.signal() }

        func deadlines(_ db: Database, after cursor: Date, context: RuleContext) throws -> [Deadline] { [] }

        func process(_ wake: inout WakeContext) throws {
            let first = calls.withLock { count in
                count += 1
                return count == 1
            }
            wake.count("held_rule_processed")
            guard first else { return }
            startedContinuation.yield()
            held.wait()
        }
    }

    @Test("graceful shutdown in the middle of a catch-up: the wake in progress commits, the catch-up stops there")
    func shutdownDuringCatchUp() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Store(path: directory.path("rolloutd.sqlite"))
        try store.startClock(at: at("2026-03-02T00:00:00Z"))
        // Twenty business days missed: twenty boundary wakes to replay.
        let missed = 20
        let rule = HeldFirstWakeRule()
        let recorder = EventRecorder()
        let requested = Mutex(0)
        let loop = WakeLoop(store: store, rules: [rule], clock: StoppedClock(instant: at("2026-03-30T12:00:00Z")),
                            settings: { LoopSettings(rules: defaultRules, poll: .milliseconds(50)) }, report: { recorder.record($0) })
        let service = WakeLoopService(loop: loop, shutdownRequested: { requested.withLock { $0 += 1 } })

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                var started = rule.started.makeAsyncIterator()
                _ = await started.next()
                trigger.triggerGracefulShutdown()
                // The stop reaches the loop while its first wake is still held; then let it commit.
                try await Task.sleep(for: .milliseconds(200))
                rule.release()
                try await group.waitForAll()
            }
        }

        #expect(requested.withLock { $0 } == 1, "STOPPING=1 and the journal entry come once, when the stop is asked for")
        let rows = try wakeRows(store)
        #expect(rows.first?.at == at("2026-03-02T16:00:00Z"), "the wake in progress committed")
        #expect(rows.count < missed, "the catch-up stopped instead of replaying all \(missed) wakes first (\(rows.count) done)")
        #expect(try store.processedThrough() == rows.last?.at, "the cursor is the last committed wake")
        #expect(recorder.wakes.map(\.at) == rows.map(\.at))
        #expect(!recorder.all.contains { if case .catchUpFinished = $0 { true } else { false } })

        // The next start replays the rest, each missed wake once.
        try await makeLoop(store, rules: [rule], clockAt: at("2026-03-30T12:00:00Z"), recorder: recorder).run(until: at("2026-03-30T12:00:00Z"))
        #expect(try wakeRows(store).count == missed)
    }

    @Test("graceful shutdown of an idle loop does not wait for its poll to end", .timeLimit(.minutes(1)))
    func shutdownWhileIdle() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Store(path: directory.path("rolloutd.sqlite"))
        try store.startClock(at: at("2026-03-02T00:00:00Z"))
        let (idle, idleContinuation) = AsyncStream<Void>.makeStream()
        // A ten-minute poll: the test's time limit fails if the stop waited for it.
        let loop = WakeLoop(store: store, rules: Rules.all, clock: StoppedClock(instant: at("2026-03-02T00:00:00Z")),
                            settings: { LoopSettings(rules: defaultRules, poll: .seconds(600)) },
                            report: { if case .idle = $0 { idleContinuation.yield() } })
        let service = WakeLoopService(loop: loop, shutdownRequested: {})

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                var events = idle.makeAsyncIterator()
                _ = await events.next()
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        #expect(try wakeCount(store) == 0)
    }

    @Test("every SIGHUP reloads, until graceful shutdown ends the service")
    func reloadOnEverySignal() async throws {
        let (signals, signal) = AsyncStream<UnixSignal>.makeStream()
        let (reloads, reloaded) = AsyncStream<Void>.makeStream()
        let service = ReloadService(signals: signals, reload: { reloaded.yield() })

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                var done = reloads.makeAsyncIterator()
                signal.yield(.sighup)
                #expect(await done.next() != nil)
                signal.yield(.sighup)
                #expect(await done.next() != nil)
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    @Test("the watchdog is fed while a wake is in progress, however long ago the loop last went round")
    func watchdogFedDuringALongWake() async throws {
        let longAgo = ContinuousClock.now - .seconds(3_600)
        let pulse = LoopPulse(now: longAgo)
        pulse.wakeStarted(at: longAgo)
        let (pings, ping) = AsyncStream<Void>.makeStream()
        let service = WatchdogService(interval: .milliseconds(10), pulse: pulse, ping: { ping.yield() })

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                var received = pings.makeAsyncIterator()
                for _ in 0..<3 { #expect(await received.next() != nil) }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    @Test("a loop that stopped going round outside a wake is not fed: systemd restarts it")
    func watchdogStarvedWhenTheLoopHangs() async throws {
        let pulse = LoopPulse(now: ContinuousClock.now - .seconds(3_600))
        let pinged = Mutex(0)
        let service = WatchdogService(interval: .milliseconds(10), pulse: pulse, ping: { pinged.withLock { $0 += 1 } })

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                try await Task.sleep(for: .milliseconds(100))
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        #expect(pinged.withLock { $0 } == 0)
    }

    @Test("the pulse: alive within the watchdog timeout of the last round, or while a wake is in progress")
    func pulse() {
        let start = ContinuousClock.now
        let pulse = LoopPulse(now: start)
        #expect(pulse.isAlive(at: start + .seconds(29), timeout: .seconds(30)))
        #expect(!pulse.isAlive(at: start + .seconds(30), timeout: .seconds(30)))
        pulse.wakeStarted(at: start + .seconds(40))
        #expect(pulse.wakeInProgressSince == start + .seconds(40))
        #expect(pulse.isAlive(at: start + .seconds(4_000), timeout: .seconds(30)))
        pulse.wakeFinished(at: start + .seconds(4_000))
        #expect(pulse.wakeInProgressSince == nil)
        #expect(pulse.isAlive(at: start + .seconds(4_029), timeout: .seconds(30)))
        #expect(!pulse.isAlive(at: start + .seconds(4_030), timeout: .seconds(30)))
        pulse.beat(at: start + .seconds(4_100))
        #expect(pulse.isAlive(at: start + .seconds(4_101), timeout: .seconds(30)))
    }
}
