import ArgumentParser
import Foundation
import RolloutDaemon
import RolloutStore

/// A request command (schedule, override, user, programme, upgrade-now, order, pause, resume,
/// changes cancel): `run()` makes it on the live store, `request` on any store — the forecast's
/// copy for a what-if (OPS-4), with the same checks and refusals.
protocol RequestCommand: ParsableCommand {
    associatedtype Answer
    func request(_ store: Store, _ configuration: RolloutDaemon.Configuration) throws -> Answer
}

/// A what-if file (OPS-4): one `rolloutctl` request command per line, as typed without the
/// program name; `#` starts a comment, a line ending in `\` continues on the next, words are
/// split as a shell does (single and double quotes, backslash escapes).
struct WhatIfFile {
    struct Line {
        let number: Int
        let text: String
        let command: any RequestCommand
    }

    let lines: [Line]

    /// Parses every line; the first that is not a request command, or does not parse, is an
    /// error naming the file, the line and why (exit 64).
    init(path: String) throws {
        do {
            try self.init(parsing: path)
        } catch let error as ValidationError {
            printError(error.message)
            throw ExitCode.validationFailure
        }
    }

    private init(parsing path: String) throws {
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            printError("cannot read \(path): \(FileProblem.reason(reading: path))")
            throw ExitCode.failure
        }
        var lines: [Line] = []
        var pending = "", start = 0
        for (index, raw) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if pending.isEmpty { start = index + 1 }
            if raw.hasSuffix("\\") {
                pending += raw.dropLast() + " "
                continue
            }
            let text = (pending + raw).trimmingCharacters(in: .whitespaces)
            pending = ""
            let words: [String]
            do {
                words = try Self.words(text)
            } catch {
                throw ValidationError("\(path):\(start): \(error)")
            }
            guard !words.isEmpty else { continue }
            let parsed: any ParsableCommand
            do {
                parsed = try Rolloutctl.parseAsRoot(words)
            } catch {
                let message = Rolloutctl.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
                throw ValidationError("\(path):\(start): \(message.replacingOccurrences(of: "Error: ", with: ""))")
            }
            guard let command = parsed as? any RequestCommand else {
                throw ValidationError("\(path):\(start): `\(words.prefix(2).joined(separator: " "))` is not a request; a what-if file "
                                      + "holds schedule, override, user, programme, upgrade-now, order, pause, resume or changes cancel commands")
            }
            lines.append(Line(number: start, text: words.joined(separator: " "), command: command))
        }
        self.lines = lines
    }

    /// Makes every request, in order, on `store` (the forecast's copy).
    func apply(to store: Store, configuration: RolloutDaemon.Configuration, path: String) throws {
        for line in lines {
            do {
                _ = try line.command.request(store, configuration)
            } catch let error as StoreError {
                throw WhatIfRefused(message: "\(path):\(line.number): \(line.text): \(error.message)")
            }
        }
    }

    /// Shell-like word splitting, with `#` comments outside quotes.
    static func words(_ text: String) throws -> [String] {
        var words: [String] = [], word = "", inWord = false
        var quote: Character?
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            switch (quote, character) {
            case (nil, "#") where !inWord:
                return words
            case (nil, " "), (nil, "\t"):
                if inWord { words.append(word); word = ""; inWord = false }
            case (nil, "'"), (nil, "\""):
                quote = character
                inWord = true
            case (let open?, _) where character == open:
                quote = nil
            case (nil, "\\"), ("\"", "\\"):
                if let next = iterator.next() { word.append(next) }
                inWord = true
            default:
                word.append(character)
                inWord = true
            }
        }
        guard quote == nil else { throw ValidationError("unterminated \(quote!) quote") }
        if inWord { words.append(word) }
        return words
    }
}

/// A hypothetical request the rules refuse: the what-if cannot be run as written.
struct WhatIfRefused: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

extension Rolloutctl {
    /// The message argument parsing gives, for quoting it with a file and line.
    static func message(for error: any Error) -> String { fullMessage(for: error) }
}
