import Foundation
import Synchronization

/// A one-line progress indicator on stderr, shown only when stderr is a terminal, so pipes,
/// files, cron mail and `--json` output never see it. Updates are throttled to ten a second.
final class Progress: Sendable {
    private let enabled = isatty(STDERR_FILENO) == 1
    private let state = Mutex<(last: ContinuousClock.Instant?, shown: Bool)>((nil, false))

    func update(_ text: @autoclosure () -> String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let due = state.withLock { state -> Bool in
            if let last = state.last, now - last < .milliseconds(100) { return false }
            state.last = now
            state.shown = true
            return true
        }
        if due { FileHandle.standardError.write(Data("\r\u{1B}[2K\(text())".utf8)) }
    }

    /// Clears the line before the command's real output.
    func finish() {
        guard enabled, state.withLock({ $0.shown }) else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
