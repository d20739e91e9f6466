/// Turns swift-log metadata keys into journal field names (DMN-5).
///
/// journald silently drops a field whose name is not valid (see systemd.journal-fields(7) and
/// sd_journal_print(3)): only `A`–`Z`, `0`–`9` and `_`, not starting with `_` (those are trusted
/// fields journald sets itself) or a digit, at most 64 characters. Operators filter on the result
/// (`journalctl ROLLOUT_PARTNER=acme`), so the mapping is simple and predictable:
/// `rollout.partner` → `ROLLOUT_PARTNER`, `partner` → `PARTNER`.
public enum JournalFieldName {
    /// The longest field name journald accepts.
    public static let maximumLength = 64

    /// The name used for a key that has no letter or digit left once sanitised (e.g. `"..."`),
    /// so that the value still reaches the journal instead of vanishing.
    public static let fallback = "METADATA"

    /// The journal field name for a metadata key: ASCII letters uppercased, every other character
    /// that is not a digit or `_` replaced by `_`, leading `_` and digits stripped, cut to 64.
    public static func sanitise(_ key: String) -> String {
        var name = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "A"..."Z", "0"..."9", "_":
                name.unicodeScalars.append(scalar)
            case "a"..."z":
                name.unicodeScalars.append(Unicode.Scalar(scalar.value - 0x20)!)
            default:
                name.unicodeScalars.append("_")
            }
        }
        let trimmed = name.drop { $0 == "_" || $0.isASCII && $0.isNumber }
        guard !trimmed.isEmpty else { return fallback }
        return String(trimmed.prefix(maximumLength))
    }
}
