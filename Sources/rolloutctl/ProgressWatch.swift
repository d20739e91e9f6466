import ArgumentParser
import Foundation
import RolloutStore

/// `rolloutctl progress --watch`: follows one partner's upgrade programme (UPG-8) until it is
/// done or fails, like `kubectl rollout status` (docs/decisions.md says why these states):
///
/// - **complete** (exit 0): every organisation the partner manages is `cloud`, no order is open
///   and every endpoint of its upgraded organisations is `upgraded`;
/// - **failed** (exit 5): the programme's failure threshold paused it (OPS-3); only a person
///   resumes it, so waiting on would wait for a person;
/// - **paused**: an operator's or partner admin's pause (OPS-1) is in force; shown, and waited out;
/// - **progressing**: anything else.
///
/// It reads the database the daemon writes, read-only, every `interval` seconds, and prints a
/// line (or a JSON object) when the counts, the pauses or the state change.
struct ProgressWatch {
    enum State: String, Encodable {
        case progressing, paused, complete, failed
        case timedOut = "timed_out"
    }

    /// One `--json` line.
    struct Event: Encodable {
        let partner: String
        let state: State
        let organisations: [String: Int]
        let orders: [String: Int]
        let endpoints: [String: Int]
        let pauses: [PauseRecord]
    }

    let store: Store
    let partner: String
    let json: Bool
    let time: HumanTime

    static func state(of progress: ProgrammeProgress) -> State {
        if progress.pauses.contains(where: { $0.actor == failureThresholdActor && $0.what == "programme" }) { return .failed }
        let done = progress.organisations["legacy", default: 0] == 0 && progress.orders["ordered", default: 0] == 0
            && progress.endpoints.allSatisfy { $0.key == "upgraded" || $0.value == 0 }
        if done { return .complete }
        return progress.pauses.contains { $0.what == "programme" } ? .paused : .progressing
    }

    /// Returns when the programme is complete; throws exit 5 when it failed, 124 when `timeout`
    /// seconds passed first, 4 when the partner or its programme does not exist.
    func follow(every interval: Double, for timeout: Double?) throws {
        let exists = try refusable { () throws -> Bool in
            _ = try store.progress(partner: partner)
            return try store.hasProgramme(partner: partner)
        }
        guard exists else {
            printError("partner '\(partner)' has no upgrade programme to watch (see `rolloutctl programme create`)")
            throw Exit.noSuchSubject
        }
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + .milliseconds(Int64($0 * 1_000)) }
        var shown: (ProgrammeProgress, State)?
        while true {
            guard let progress = try refusable({ try store.progress(partner: partner) }).first else { throw Exit.noSuchSubject }
            let state = Self.state(of: progress)
            if shown?.0 != progress || shown?.1 != state {
                try show(progress, state)
                shown = (progress, state)
            }
            switch state {
            case .complete: return
            case .failed: throw Exit.programmeFailed
            case .progressing, .paused, .timedOut: break
            }
            let now = clock.now
            if let deadline, now >= deadline {
                try show(progress, .timedOut)
                printError("timed out after \(HumanTime.duration(Int64(timeout ?? 0))) waiting for the programme of \(partner)")
                throw Exit.timedOut
            }
            let pause = deadline.map { min(.milliseconds(Int64(interval * 1_000)), $0 - now) } ?? .milliseconds(Int64(interval * 1_000))
            Thread.sleep(forTimeInterval: Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18)
        }
    }

    private func show(_ progress: ProgrammeProgress, _ state: State) throws {
        if json {
            return try printJSON(Event(partner: partner, state: state, organisations: progress.organisations, orders: progress.orders,
                                       endpoints: progress.endpoints, pauses: progress.pauses), lines: true)
        }
        let summary = "organisations \(counts(progress.organisations)); orders \(counts(progress.orders)); "
            + "endpoints \(counts(progress.endpoints))"
        let pauses = progress.pauses.map { "; PAUSED: " + describe($0, time: time, now: Date()) }.joined()
        switch state {
        case .complete: print("programme of \(partner) complete: \(summary)")
        case .failed:
            print("programme of \(partner) failed: its failure threshold paused it (OPS-3)\(pauses); "
                  + "after fixing the cause: rolloutctl resume --partner \(partner) --what programme")
        case .progressing, .paused, .timedOut: print("\(partner): \(summary)\(pauses)")
        }
        fflush(nil)
    }
}
