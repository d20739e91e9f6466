import Foundation
import RolloutCore
import Testing

@Suite("UPG-1 programme instants")
struct UpgradeProgrammeTests {
    static let calendar = BusinessCalendar()
    static func at(_ text: String) -> Date { Instant.parse(text)! }

    @Test("boundaries in order are accepted, equal instants included")
    func accepted() throws {
        let programme = try Programme(
            announceAt: Self.at("2026-03-02T17:30:00Z"), windowStartAt: Self.at("2026-03-09T15:00:00Z"),
            autoUpgradeAt: Self.at("2026-04-06T15:00:00Z"), calendar: Self.calendar)
        #expect(programme.windowStartAt == Self.at("2026-03-09T15:00:00Z"))
        let sameInstant = try Programme(
            announceAt: Self.at("2026-03-09T15:00:00Z"), windowStartAt: Self.at("2026-03-09T15:00:00Z"),
            autoUpgradeAt: Self.at("2026-03-09T15:00:00Z"), calendar: Self.calendar)
        #expect(sameInstant.phase(at: Self.at("2026-03-09T15:00:00Z")) == .automaticUpgrade)
    }

    @Test("a window start that is not a boundary is rejected, naming the next boundary")
    func windowStartNotBoundary() {
        // Monday 2026-03-09 09:00 PDT: the day's boundary (15:00Z) has passed; next is Tuesday 08:00 PDT.
        let error = #expect(throws: UpgradeError.self) {
            try Programme(
                announceAt: Self.at("2026-03-02T16:00:00Z"), windowStartAt: Self.at("2026-03-09T16:00:00Z"),
                autoUpgradeAt: Self.at("2026-04-06T15:00:00Z"), calendar: Self.calendar)
        }
        #expect(error?.code == .notABoundary)
        #expect(error?.rule == "UPG-1")
        #expect(error?.suggestion == Self.at("2026-03-10T15:00:00Z"))
        #expect(error?.message.contains("window start 2026-03-09T16:00:00Z") == true)
        #expect(error?.message.contains("nearest boundary after it is 2026-03-10T15:00:00Z") == true)
    }

    @Test("an automatic upgrade on a holiday or weekend is rejected, naming the next boundary")
    func autoUpgradeNotBoundary() {
        // Thanksgiving 2026-11-26 08:00 PST is not a business day: next is Friday 27th.
        let holiday = #expect(throws: UpgradeError.self) {
            try Programme(
                announceAt: Self.at("2026-11-02T16:00:00Z"), windowStartAt: Self.at("2026-11-02T16:00:00Z"),
                autoUpgradeAt: Self.at("2026-11-26T16:00:00Z"), calendar: Self.calendar)
        }
        #expect(holiday?.code == .notABoundary)
        #expect(holiday?.suggestion == Self.at("2026-11-27T16:00:00Z"))
        #expect(holiday?.message.contains("automatic upgrade") == true)
        // Saturday 2026-03-14 08:00 PDT: next is Monday 16th.
        let weekend = #expect(throws: UpgradeError.self) {
            try Programme(
                announceAt: Self.at("2026-03-02T16:00:00Z"), windowStartAt: Self.at("2026-03-09T15:00:00Z"),
                autoUpgradeAt: Self.at("2026-03-14T15:00:00Z"), calendar: Self.calendar)
        }
        #expect(weekend?.suggestion == Self.at("2026-03-16T15:00:00Z"))
    }

    @Test("the announcement may be any instant, but not after the window start")
    func announcementAfterWindow() {
        let error = #expect(throws: UpgradeError.self) {
            try Programme(
                announceAt: Self.at("2026-03-09T15:00:01Z"), windowStartAt: Self.at("2026-03-09T15:00:00Z"),
                autoUpgradeAt: Self.at("2026-04-06T15:00:00Z"), calendar: Self.calendar)
        }
        #expect(error?.code == .outOfOrder)
        #expect(error?.suggestion == nil)
        #expect(error?.message.contains("announce at or before the window start") == true)
    }

    @Test("the window may not start after the automatic upgrade")
    func windowAfterAutoUpgrade() {
        let error = #expect(throws: UpgradeError.self) {
            try Programme(
                announceAt: Self.at("2026-03-02T16:00:00Z"), windowStartAt: Self.at("2026-04-07T15:00:00Z"),
                autoUpgradeAt: Self.at("2026-04-06T15:00:00Z"), calendar: Self.calendar)
        }
        #expect(error?.code == .outOfOrder)
        #expect(error?.message.contains("open the window at or before the automatic upgrade") == true)
    }

    @Test("phases start at their instants; upgrade requests open at window start (UPG-4)")
    func phases() throws {
        let programme = try Programme(
            announceAt: Self.at("2026-03-02T16:00:00Z"), windowStartAt: Self.at("2026-03-09T15:00:00Z"),
            autoUpgradeAt: Self.at("2026-04-06T15:00:00Z"), calendar: Self.calendar)
        #expect(programme.phase(at: Self.at("2026-03-02T15:59:59Z")) == .scheduled)
        #expect(programme.phase(at: Self.at("2026-03-02T16:00:00Z")) == .announced)
        #expect(programme.phase(at: Self.at("2026-03-09T14:59:59Z")) == .announced)
        #expect(programme.phase(at: Self.at("2026-03-09T15:00:00Z")) == .windowOpen)
        #expect(programme.phase(at: Self.at("2026-04-06T15:00:00Z")) == .automaticUpgrade)
        #expect(!programme.acceptsUpgradeRequests(at: Self.at("2026-03-09T14:59:59Z")))
        #expect(programme.acceptsUpgradeRequests(at: Self.at("2026-03-09T15:00:00Z")))
        #expect(programme.acceptsUpgradeRequests(at: Self.at("2026-05-01T00:00:00Z")))
    }
}
