public import Foundation
public import Logging

/// Where the daemon's log entries go (DMN-5): structured into journald when systemd connected its
/// stderr to the journal, readable lines on stderr otherwise (a terminal, a container, a test).
public enum LogDestination: Sendable, Equatable {
    case journal
    case stderr

    /// `.journal` only when `JOURNAL_STREAM` names the very file stderr is open on.
    ///
    /// systemd.exec(5) sets `JOURNAL_STREAM=<device>:<inode>` for a service whose stdout or stderr
    /// goes to the journal, and sd_journal_print(3) says to compare it with fstat(2) of the stream:
    /// the variable is inherited by child processes whose stderr may have been redirected
    /// (`rolloutd … 2>file` from a unit's shell), and then the journal is the wrong place.
    ///
    /// - Parameters:
    ///   - environment: the process environment (injectable so tests need not change it).
    ///   - descriptor: the stream that would otherwise get the lines, stderr by default.
    public static func detect(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        descriptor: Int32 = STDERR_FILENO
    ) -> LogDestination {
        guard let stream = environment["JOURNAL_STREAM"] else { return .stderr }
        let parts = stream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else {
            return .stderr
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .stderr }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode ? .journal : .stderr
    }
}

/// The handler `bootstrapLogging` installs for every logger, exposed so it can be checked without
/// bootstrapping the process-wide logging system.
public func makeLogHandler(identifier: String, level: Logger.Level, destination: LogDestination) -> any LogHandler {
    switch destination {
    case .journal:
        return JournalLogHandler(identifier: identifier, logLevel: level)
    case .stderr:
        return StderrLogHandler(identifier: identifier, logLevel: level)
    }
}

/// Routes every `Logger` of the process to `destination` at `level` (DMN-5).
///
/// Call it once, first thing in `main`, before any `Logger` is created: swift-log's
/// `LoggingSystem.bootstrap` may run only once per process (a second call traps), and loggers made
/// before it keep the default handler. For the same reason library code and tests never call it;
/// tests build handlers with `makeLogHandler` or the handler initialisers.
///
/// - Parameters:
///   - identifier: `SYSLOG_IDENTIFIER=` in the journal, the program name on stderr (`rolloutd`).
///   - level: the lowest level written; DMN-5 keeps per-endpoint entries below the default level.
///   - destination: usually `LogDestination.detect()`.
public func bootstrapLogging(identifier: String, level: Logger.Level, destination: LogDestination) {
    LoggingSystem.bootstrap { _ in
        makeLogHandler(identifier: identifier, level: level, destination: destination)
    }
}
