import Glibc
import Logging

/// A swift-log handler for running outside systemd (DMN-5: "outside systemd it logs to stderr").
///
/// One readable line per entry, `2026-03-09T15:00:00Z info rolloutd: message key=value …`, with the
/// metadata keys sorted so that lines of the same kind line up and diff cleanly. Each line goes out
/// in one write(2) (more only after a short write), so lines from concurrent tasks do not interleave.
public typealias StderrLogHandler = RecordLogHandler<StderrSink>

/// Stderr as a `LogSink`: one line per record.
public enum StderrSink: LogSink {
    public static func write(_ record: LogRecord, identifier: String) {
        StderrLogHandler.write(StderrLogHandler.line(for: record, identifier: identifier, at: time(nil)))
    }
}

extension RecordLogHandler where Sink == StderrSink {
    /// The line for a record at a wall-clock second, newline included.
    static func line(for record: LogRecord, identifier: String, at seconds: time_t) -> String {
        var line = "\(timestamp(seconds)) \(record.level.rawValue) \(identifier): \(record.message)"
        for (key, value) in record.metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(quotedIfNeeded(value))"
        }
        return line + "\n"
    }

    /// RFC 3339 in UTC, to the second: the zone of the host must not change what the line says.
    static func timestamp(_ seconds: time_t) -> String {
        var clock = seconds
        var parts = tm()
        gmtime_r(&clock, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
            + "T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// A value as-is when it is one plain word, else as a Swift string literal, so that
    /// `key=value` pairs stay unambiguous when values hold spaces, quotes, `=` or newlines.
    static func quotedIfNeeded(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value != 0x7F && scalar != "\"" && scalar != "=" && scalar != "\\"
        }
        return plain ? value : value.debugDescription
    }

    static func write(_ line: String) {
        let bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
