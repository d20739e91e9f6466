import Foundation
import Testing

@testable import RolloutSystemd

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let path: String
    private let descriptor: Int32

    init() throws {
        path = "/tmp/rolloutd-notify-\(UUID().uuidString.prefix(8)).sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(descriptor >= 0)
        try #require(withUnixAddress(path) { bind(descriptor, $0, $1) } == 0)
        // A notifier that sends nothing fails the test after 10 s instead of hanging it.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The next datagram, or nil if none arrives (blocking up to the timeout, or not at all).
    func receive(wait: Bool = true) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, wait ? 0 : Int32(MSG_DONTWAIT))
        return count < 0 ? nil : String(decoding: buffer[..<count], as: UTF8.self)
    }
}

/// Sets (or, for nil, unsets) environment variables around `body` and restores them after.
func withEnvironment<T>(_ variables: [String: String?], _ body: () throws -> T) rethrows -> T {
    let saved = variables.keys.map { ($0, getenv($0).map { String(cString: $0) }) }
    for (name, value) in variables {
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
    defer {
        for (name, value) in saved {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
    return try body()
}

extension ProcessLevelTests {
    /// DMN-6: the exact datagrams systemd receives. libsystemd reads NOTIFY_SOCKET and WATCHDOG_*
    /// from the process environment, so these tests set them (serialised, restored afterwards).
    @Suite struct ServiceNotifierTests {
        static let status = "next wake 2026-03-09T16:00:00Z (business-day boundary), 3 pending"

        @Test func sendsTheNotifyProtocolMessages() throws {
            let socket = try NotifySocket()
            try withEnvironment(["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
                let notifier = ServiceNotifier.fromEnvironment()
                #expect(notifier.isEnabled)

                notifier.ready(status: Self.status)
                #expect(socket.receive() == "READY=1\nSTATUS=\(Self.status)")

                let before = ServiceNotifier.monotonicMicroseconds()
                notifier.reloading(status: "reloading configuration")
                let after = ServiceNotifier.monotonicMicroseconds()
                let reloading = try #require(socket.receive()).split(separator: "\n").map(String.init)
                #expect(reloading.count == 3)
                #expect(reloading.first == "RELOADING=1")
                #expect(reloading.last == "STATUS=reloading configuration")
                let stamp = try #require(reloading.dropFirst().first.flatMap { line in
                    line.hasPrefix("MONOTONIC_USEC=") ? UInt64(line.dropFirst("MONOTONIC_USEC=".count)) : nil
                })
                #expect((before...after).contains(stamp))

                notifier.status("next wake 2026-03-10T15:00:00Z, 0 pending")
                #expect(socket.receive() == "STATUS=next wake 2026-03-10T15:00:00Z, 0 pending")

                notifier.watchdogPing()
                #expect(socket.receive() == "WATCHDOG=1")

                notifier.stopping(status: "stopping")
                #expect(socket.receive() == "STOPPING=1\nSTATUS=stopping")

                #expect(socket.receive(wait: false) == nil)
            }
        }

        @Test func aNewlineCannotEndTheStatusEarly() throws {
            let socket = try NotifySocket()
            withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                ServiceNotifier.fromEnvironment().status("next wake soon\nREADY=1\r\nx")
                #expect(socket.receive() == "STATUS=next wake soon READY=1  x")
            }
        }

        @Test func watchdogIntervalIsHalfOfWatchdogSec() {
            withEnvironment(["NOTIFY_SOCKET": "/run/unused", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())"]) {
                #expect(ServiceNotifier.fromEnvironment().watchdogInterval == .seconds(15))
            }
            withEnvironment(["NOTIFY_SOCKET": "/run/unused", "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": nil]) {
                #expect(ServiceNotifier.fromEnvironment().watchdogInterval == .seconds(1))
            }
        }

        @Test func noWatchdogWhenTheUnitAsksForNoneOrForAnotherProcess() {
            withEnvironment(["NOTIFY_SOCKET": "/run/unused", "WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
                #expect(ServiceNotifier.fromEnvironment().watchdogInterval == nil)
            }
            withEnvironment(["NOTIFY_SOCKET": "/run/unused", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid() + 1)"]) {
                #expect(ServiceNotifier.fromEnvironment().watchdogInterval == nil)
            }
        }

        @Test func outsideSystemdEveryCallIsANoOp() throws {
            let notifier = withEnvironment(["NOTIFY_SOCKET": nil, "WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
                ServiceNotifier.fromEnvironment()
            }
            #expect(!notifier.isEnabled)
            #expect(notifier.watchdogInterval == nil)
            // Even if a socket shows up later, a notifier made outside systemd stays silent.
            let socket = try NotifySocket()
            withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                notifier.ready(status: "x")
                notifier.reloading(status: "x")
                notifier.status("x")
                notifier.watchdogPing()
                notifier.stopping(status: "x")
            }
            #expect(socket.receive(wait: false) == nil)
        }

        @Test func leavesTheEnvironmentForLaterNotifiers() throws {
            let socket = try NotifySocket()
            withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                ServiceNotifier.fromEnvironment().ready(status: "first")
                #expect(socket.receive() == "READY=1\nSTATUS=first")
                #expect(getenv("NOTIFY_SOCKET").map { String(cString: $0) } == socket.path)
                ServiceNotifier.fromEnvironment().watchdogPing()
                #expect(socket.receive() == "WATCHDOG=1")
            }
        }
    }
}
