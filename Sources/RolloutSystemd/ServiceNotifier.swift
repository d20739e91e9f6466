import CSystemd
import Glibc

/// The daemon's side of the `Type=notify` protocol (DMN-6), through libsystemd's sd_notify(3).
///
/// systemd learns from these messages that the store is open and migrated (READY=1), what the
/// daemon is waiting for (STATUS=, shown by `systemctl status`), that a SIGHUP reload is in
/// progress and when it is done (RELOADING=1 … READY=1), that it is shutting down (STOPPING=1), and
/// that it is alive (WATCHDOG=1). Outside systemd (`NOTIFY_SOCKET` unset) every call does nothing,
/// so the daemon calls it unconditionally.
///
/// libsystemd reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from the process
/// environment; they are left in place (unset_environment = 0) so a notifier made later, or a
/// reload, still finds them.
public struct ServiceNotifier: Sendable {
    /// False when the process was not started by systemd with a notify socket.
    public let isEnabled: Bool

    /// How often to send WATCHDOG=1: half the unit's `WatchdogSec=`, as sd_watchdog_enabled(3)
    /// advises, so one late ping does not get the daemon killed. Nil when the unit asks for none.
    public let watchdogInterval: Duration?

    /// The notifier for this process, from the environment systemd set at exec time.
    public static func fromEnvironment() -> ServiceNotifier {
        var microseconds: UInt64 = 0
        let watchdog = sd_watchdog_enabled(0, &microseconds) > 0 && microseconds > 0
        return ServiceNotifier(
            isEnabled: getenv("NOTIFY_SOCKET") != nil,
            watchdogInterval: watchdog ? .microseconds(Int64(microseconds / 2)) : nil
        )
    }

    /// READY=1: the store is open and migrated (first start), or a reload is finished.
    public func ready(status: String) {
        send(["READY=1", Self.statusAssignment(status)])
    }

    /// RELOADING=1 on SIGHUP, before the new config is validated; follow with `ready(status:)`.
    /// MONOTONIC_USEC lets systemd ≥ 253 tell this reload apart from an earlier one.
    public func reloading(status: String) {
        send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())", Self.statusAssignment(status)])
    }

    /// STOPPING=1 on SIGTERM, so `systemctl status` says "deactivating" while the wake finishes.
    public func stopping(status: String) {
        send(["STOPPING=1", Self.statusAssignment(status)])
    }

    /// STATUS=: the next wake and pending counts, as `systemctl status` shows them.
    public func status(_ text: String) {
        send([Self.statusAssignment(text)])
    }

    /// WATCHDOG=1: call every `watchdogInterval` from the loop that does the work, so a hung loop
    /// stops the pings and systemd restarts the daemon.
    public func watchdogPing() {
        send(["WATCHDOG=1"])
    }

    /// sd_notify reads one assignment per line: a newline inside the text would end STATUS= early
    /// and turn the rest into a bogus assignment.
    static func statusAssignment(_ text: String) -> String {
        "STATUS=" + text.replacingNewlines()
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// A failed send is not reported: systemd notices a missing READY=1 (start timeout) or
    /// WATCHDOG=1 (watchdog) by itself, and the daemon could do nothing better about it.
    private func send(_ assignments: [String]) {
        guard isEnabled else { return }
        _ = sd_notify(0, assignments.joined(separator: "\n"))
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        String(unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
    }
}
