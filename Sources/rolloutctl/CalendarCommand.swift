import ArgumentParser
import Foundation
import RolloutCore

struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "Print the next business-day boundaries (CAL-1…3), one UTC instant per line.",
        discussion: """
            Boundaries are 08:00 America/Los_Angeles on business days unless the configuration \
            says otherwise. Without a readable configuration file the SPEC defaults are used.

            Examples:
              rolloutctl calendar --from 2026-11-25T00:00:00Z --count 3
              rolloutctl calendar --from 2026-03-06T00:00:00Z --count 10 --no-holidays
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("Print boundaries strictly after this instant.", valueName: "INSTANT"))
    var from: InstantArgument

    @Option(help: "How many boundaries to print.")
    var count: Int = 10

    @Flag(name: .customLong("no-holidays"), help: "Ignore holidays: every configured weekday is a business day.")
    var noHolidays = false

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be between 1 and 100000") }
    }

    func run() throws {
        var calendar = FileManager.default.fileExists(atPath: options.config) ? try options.load().calendar : .init()
        if noHolidays {
            calendar.holidays = BusinessCalendar.Holidays(usFederal: false)
        }
        let boundaries = BusinessCalendar(calendar).boundaries(after: from.date, count: count)
        print(boundaries.map(Instant.format).joined(separator: "\n"))
    }
}
