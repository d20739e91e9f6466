import ArgumentParser
import Foundation
import RolloutDaemon
import RolloutEngine
import RolloutStore

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Load a state document (partners, organisations, users, endpoints, releases) in one transaction.",
        discussion: """
            Entities are upserted by id. A document that breaks any rule is rejected whole, with \
            every problem listed by JSON path, and nothing is written (exit 65). See docs/state-document.md.

            Example:
              rolloutctl apply --config config/rolloutd.toml \\
                  examples/sample-state.json
            """)

    @OptionGroup var options: ConfigOptions

    @Argument(help: ArgumentHelp("The JSON document, or - for standard input.", valueName: "FILE"))
    var file: String

    @OptionGroup var time: RequestTime

    @Flag(help: "Print the result as JSON.")
    var json = false

    /// EX_DATAERR: the input was wrong, nothing was written.
    static let rejected = ExitCode(65)

    struct Result: Encodable {
        let applied: Bool
        let counts: [String: Int]
        let problems: [DocumentProblem]
    }

    func run() throws {
        // Streamed, never read whole: a million-endpoint document loads in constant memory.
        let descriptor = file == "-" ? FileHandle.standardInput.fileDescriptor : open(file, O_RDONLY)
        guard descriptor >= 0 else {
            printError("cannot read \(file): \(FileProblem.reason(reading: file))")
            throw ExitCode.failure
        }
        defer { if file != "-" { close(descriptor) } }
        let (_, store) = try options.openStore()
        let progress = Progress()
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int).map { ": \($0) bytes" } ?? ""
        progress.update("applying \(file)\(size), validating and writing in one transaction…")
        defer { progress.finish() }
        do {
            let document = try store.apply(descriptor: descriptor, at: time.instant)
            if json {
                try printJSON(Result(applied: true, counts: document.counts, problems: []))
            } else {
                let counts = document.counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                print("applied \(file): \(counts.joined(separator: ", "))")
            }
        } catch let rejected as DocumentRejected {
            if json {
                try printJSON(Result(applied: false, counts: [:], problems: rejected.problems))
            } else {
                printError("\(file): \(rejected)")
            }
            throw Self.rejected
        }
    }
}

