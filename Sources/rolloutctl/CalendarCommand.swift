import ArgumentParser
import Foundation
import RolloutCore

struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "Print the next business-day boundaries (CAL-1…3), naming each holiday skipped.",
        discussion: """
            Boundaries are 08:00 America/Los_Angeles on business days unless the configuration \
            says otherwise. Without a readable configuration file the SPEC defaults are used. Each \
            line shows the UTC instant, then the weekday and local time in the calendar zone; each \
            configured weekday skipped as a holiday is named on its own line before the boundary after it.

            Examples:
              rolloutctl calendar --from 2026-11-25T00:00:00Z --count 3
              rolloutctl calendar --from 2026-03-06T00:00:00Z --count 10 \\
                  --no-holidays
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("Print boundaries strictly after this instant.", valueName: "INSTANT"))
    var from: InstantArgument

    @Option(help: "How many boundaries to print.")
    var count: Int = 10

    @Flag(name: .customLong("no-holidays"), help: "Ignore holidays: every configured weekday is a business day.")
    var noHolidays = false

    @Flag(help: "Print JSON (fields in docs/cli.md).")
    var json = false

    struct Boundary: Encodable {
        let at: Date
        let weekday: String
        let localDate: String
        let localTime: String
        let skipped: [Skipped]

        struct Skipped: Encodable {
            let date: String
            let weekday: String
            let holiday: String
        }

        enum CodingKeys: String, CodingKey {
            case at, weekday, skipped
            case localDate = "local_date"
            case localTime = "local_time"
        }
    }

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be between 1 and 100000") }
    }

    func run() throws {
        var configuration = FileManager.default.fileExists(atPath: options.config) ? try options.load().calendar : .init()
        if noHolidays {
            configuration.holidays = BusinessCalendar.Holidays(usFederal: false)
        }
        let calendar = BusinessCalendar(configuration)
        var previous = from.date
        var boundaries: [Boundary] = []
        for at in calendar.boundaries(after: from.date, count: count) {
            let day = calendar.localDate(of: at)
            let skipped = calendar.skippedDays(after: previous, before: at).map {
                Boundary.Skipped(date: $0.date.description, weekday: $0.date.weekdayAbbreviation, holiday: $0.reason)
            }
            let wall = Int(at.timeIntervalSince1970) + configuration.zone.secondsFromGMT(for: at)
            let minutes = ((wall % 86_400) + 86_400) % 86_400 / 60
            boundaries.append(Boundary(at: at, weekday: day.weekdayAbbreviation, localDate: day.description,
                                       localTime: String(format: "%02d:%02d", minutes / 60, minutes % 60), skipped: skipped))
            previous = at
        }
        if json { return try printJSON(boundaries) }
        let time = HumanTime(configuration)
        for boundary in boundaries {
            for skipped in boundary.skipped { print("  skipped \(skipped.weekday) \(skipped.date): \(skipped.holiday)") }
            print("\(Instant.format(boundary.at))  \(time.local(boundary.at))")
        }
    }
}
