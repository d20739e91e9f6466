import Foundation

/// Why a file cannot be used, in the system's words, for messages that say what to fix.
public enum FileProblem {
    /// `No such file or directory`, `Permission denied`, `Is a directory`: what opening and
    /// reading `path` reports.
    public static func reason(reading path: String) -> String {
        let descriptor = open(path, O_RDONLY)
        if descriptor < 0 { return String(cString: strerror(errno)) }
        defer { close(descriptor) }
        var byte: UInt8 = 0
        if read(descriptor, &byte, 1) < 0 { return String(cString: strerror(errno)) }
        return "unreadable"
    }
}
