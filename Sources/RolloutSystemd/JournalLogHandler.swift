import CSystemd
import Glibc
public import Logging

/// A swift-log handler that writes structured entries to journald (DMN-5).
///
/// Each entry carries `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`
/// and one field per metadata entry, so operators can filter (`journalctl ROLLOUT_PARTNER=acme`) and
/// `journalctl -x` can explain entries by their `MESSAGE_ID` from `systemd/rolloutd.catalog`.
/// Entries go over the native protocol (`sd_journal_sendv`), not stderr, because a stream line
/// cannot carry fields.
public typealias JournalLogHandler = RecordLogHandler<JournalSink>

/// The journal as a `LogSink`: one entry per record over the native protocol, or a line on
/// stderr when journald cannot be reached.
public enum JournalSink: LogSink {
    /// The fields the handler writes itself. A metadata key that sanitises to one of these is
    /// written as `METADATA_<NAME>` instead: a second `MESSAGE` or `PRIORITY` would make journald
    /// store two values and `journalctl -o cat` show the wrong one.
    static let ownFields: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC",
    ]

    public static func write(_ record: LogRecord, identifier: String) {
        if JournalLogHandler.send(JournalLogHandler.fields(for: record, identifier: identifier)) < 0 {
            // journald is unreachable (restarting, or the socket is gone): stderr is still the
            // journal's stream under systemd, so the entry is kept, without its fields.
            StderrSink.write(record, identifier: identifier)
        }
    }
}

extension RecordLogHandler where Sink == JournalSink {
    /// The `FIELD=value` assignments for one record, as this handler writes them.
    func fields(for record: LogRecord) -> [String] {
        Self.fields(for: record, identifier: identifier)
    }

    /// The `FIELD=value` assignments for one record, metadata sorted by field name.
    static func fields(for record: LogRecord, identifier: String) -> [String] {
        var fields = [
            "MESSAGE=\(record.message)",
            "PRIORITY=\(priority(record.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(record.file)",
            "CODE_LINE=\(record.line)",
            "CODE_FUNC=\(record.function)",
        ]
        let named = record.metadata.map { key, value in (fieldName(forMetadataKey: key), value) }
        for (name, value) in named.sorted(by: { $0.0 < $1.0 }) {
            fields.append("\(name)=\(value)")
        }
        return fields
    }

    /// The journal field for a metadata key: sanitised, and moved aside if it would clash with a
    /// field the handler writes itself.
    static func fieldName(forMetadataKey key: String) -> String {
        let name = JournalFieldName.sanitise(key)
        guard JournalSink.ownFields.contains(name) else { return name }
        return "\(JournalFieldName.fallback)_\(name)"
    }

    /// syslog(3) priorities, as journald and `journalctl -p` expect them.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// Sends the assignments as one entry, one iovec each (values may hold newlines or any byte:
    /// libsystemd switches to the binary-safe encoding for those). Returns sd_journal_sendv's result.
    static func send(_ fields: [String]) -> Int32 {
        var bytes: [UInt8] = []
        var spans: [(offset: Int, count: Int)] = []
        for field in fields {
            spans.append((bytes.count, field.utf8.count))
            bytes.append(contentsOf: field.utf8)
        }
        return bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return -EINVAL }
            let vectors = spans.map { iovec(iov_base: base + $0.offset, iov_len: $0.count) }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
    }
}
