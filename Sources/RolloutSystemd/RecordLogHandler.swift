public import Logging

/// Where a `RecordLogHandler` writes each record: the journal (`JournalSink`) or stderr
/// (`StderrSink`).
public protocol LogSink: Sendable {
    static func write(_ record: LogRecord, identifier: String)
}

/// A swift-log handler that keeps what swift-log asks every handler to keep (its metadata, level
/// and metadata provider), merges them with each event into a `LogRecord`, and hands the record
/// to its sink (DMN-5). `JournalLogHandler` and `StderrLogHandler` are its two kinds, so the state
/// and its plumbing are written once.
public struct RecordLogHandler<Sink: LogSink>: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    /// `SYSLOG_IDENTIFIER=` in the journal (what `journalctl -t` filters on), the program name
    /// after the level on stderr.
    public let identifier: String

    public init(
        identifier: String,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.identifier = identifier
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        Sink.write(LogRecord(event: event, handlerMetadata: metadata, provider: metadataProvider), identifier: identifier)
    }
}
