import Logging

/// What both log handlers write for one event: the metadata of the handler, of its metadata
/// provider and of the call, merged and flattened to strings (DMN-5).
public struct LogRecord: Sendable {
    var level: Logger.Level
    var message: String
    /// Merged metadata; on a key clash the call wins over the provider, which wins over the handler.
    /// An attached error becomes the `error` entry, so it reaches the journal as the `ERROR` field.
    var metadata: [String: String]
    var file: String
    var function: String
    var line: UInt

    init(event: LogEvent, handlerMetadata: Logger.Metadata, provider: Logger.MetadataProvider?) {
        var merged = handlerMetadata
        if let provided = provider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let call = event.metadata {
            merged.merge(call) { _, new in new }
        }
        var flat = merged.mapValues(Self.flatten)
        if let error = event.error {
            flat["error"] = String(describing: error)
        }
        self.level = event.level
        self.message = event.message.description
        self.metadata = flat
        self.file = event.file
        self.function = event.function
        self.line = event.line
    }

    /// A metadata value as one string. Unlike `MetadataValue.description`, dictionaries come out
    /// sorted by key, so the same metadata always gives the same field value.
    static func flatten(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let string):
            return string
        case .stringConvertible(let convertible):
            return convertible.description
        case .array(let values):
            return "[" + values.map(flatten).joined(separator: ", ") + "]"
        case .dictionary(let dictionary):
            let entries = dictionary.sorted { $0.key < $1.key }.map { "\($0.key): \(flatten($0.value))" }
            return "[" + entries.joined(separator: ", ") + "]"
        }
    }
}
