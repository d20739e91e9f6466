import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// UPG-1: a programme's three instants. Window start and automatic upgrade must be business-day
/// boundaries (the refusal names the nearest boundary after the time given), announcement ≤
/// window start ≤ automatic upgrade, and a programme can be replaced only until it is announced.
/// A refusal writes nothing.
@Suite("UPG-1 programme instants, through the store and the loop")
struct UpgradeProgrammeRefusalTests {
    static func document() -> UpgradeDocument {
        var document = UpgradeDocument()
        document.partner("northwind")
        document.organisation("contoso", partners: ["northwind"])
        document.endpoint("contoso-pc1", organisation: "contoso")
        return document
    }

    func refusal(_ scenario: UpgradeScenario, announce: String, window: String, auto: String) -> StoreError? {
        do {
            try scenario.programme(partner: "northwind", announce: announce, window: window, auto: auto, at: "2026-09-01T00:00:00Z")
            return nil
        } catch let error as StoreError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("a window start or automatic upgrade that is not a boundary is refused, naming the next boundary")
    func notABoundary() throws {
        let scenario = try UpgradeScenario(start: "2026-09-01T00:00:00Z", Self.document())
        // 09:00 PDT on a Monday: the next boundary is Tuesday 08:00 PDT.
        let offHour = refusal(scenario, announce: "2026-09-04T18:30:00Z", window: "2026-09-14T16:00:00Z", auto: "2026-10-01T15:00:00Z")
        #expect(offHour?.code == .refused)
        #expect(offHour?.message.contains("window start 2026-09-14T16:00:00Z is not a business-day boundary") == true)
        #expect(offHour?.message.contains("the nearest boundary after it is 2026-09-15T15:00:00Z") == true)
        #expect(offHour?.message.contains("UPG-1") == true)
        // Labor Day (1st Monday of September) at 08:00: a holiday has no boundary.
        let holiday = refusal(scenario, announce: "2026-09-04T18:30:00Z", window: "2026-09-07T15:00:00Z", auto: "2026-10-01T15:00:00Z")
        #expect(holiday?.message.contains("the nearest boundary after it is 2026-09-08T15:00:00Z") == true)
        // Automatic upgrade on Columbus Day (2nd Monday of October).
        let columbus = refusal(scenario, announce: "2026-09-04T18:30:00Z", window: "2026-09-14T15:00:00Z", auto: "2026-10-12T15:00:00Z")
        #expect(columbus?.message.contains("automatic upgrade 2026-10-12T15:00:00Z is not a business-day boundary") == true)
        #expect(columbus?.message.contains("the nearest boundary after it is 2026-10-13T15:00:00Z") == true)
        // 15:00Z is 08:00 in summer but 07:00 PST after the end of DST: the boundary is 16:00Z.
        let winter = refusal(scenario, announce: "2026-09-04T18:30:00Z", window: "2026-09-14T15:00:00Z", auto: "2026-11-02T15:00:00Z")
        #expect(winter?.message.contains("the nearest boundary after it is 2026-11-02T16:00:00Z") == true)
        // A Saturday.
        let weekend = refusal(scenario, announce: "2026-09-04T18:30:00Z", window: "2026-09-19T15:00:00Z", auto: "2026-10-01T15:00:00Z")
        #expect(weekend?.message.contains("the nearest boundary after it is 2026-09-21T15:00:00Z") == true)
        #expect(try scenario.count("SELECT count(*) FROM programme") == 0)
    }

    @Test("instants out of order are refused; equal instants are accepted; an unknown partner is not found")
    func order() throws {
        let scenario = try UpgradeScenario(start: "2026-09-01T00:00:00Z", Self.document())
        let lateAnnouncement = refusal(scenario, announce: "2026-09-14T15:00:01Z", window: "2026-09-14T15:00:00Z", auto: "2026-10-01T15:00:00Z")
        #expect(lateAnnouncement?.code == .refused)
        #expect(lateAnnouncement?.message.contains("announcement 2026-09-14T15:00:01Z is after window start 2026-09-14T15:00:00Z") == true)
        let lateWindow = refusal(scenario, announce: "2026-09-04T18:30:00Z", window: "2026-10-02T15:00:00Z", auto: "2026-10-01T15:00:00Z")
        #expect(lateWindow?.message.contains("window start 2026-10-02T15:00:00Z is after automatic upgrade 2026-10-01T15:00:00Z") == true)
        #expect(try scenario.count("SELECT count(*) FROM programme") == 0)

        #expect(throws: StoreError.self) {
            try scenario.store.createProgramme(partner: "nobody", announceAt: at("2026-09-14T15:00:00Z"),
                                               windowStartAt: at("2026-09-14T15:00:00Z"), autoUpgradeAt: at("2026-09-14T15:00:00Z"),
                                               at: at("2026-09-01T00:00:00Z"), calendar: scenario.calendar)
        }
        // All three at one boundary is a valid programme.
        #expect(refusal(scenario, announce: "2026-09-14T15:00:00Z", window: "2026-09-14T15:00:00Z", auto: "2026-09-14T15:00:00Z") == nil)
        #expect(try scenario.count("SELECT count(*) FROM programme") == 1)
    }

    @Test("replacing a programme before its announcement is allowed and moves the banners; after it, refused")
    func replace() async throws {
        let scenario = try UpgradeScenario(start: "2026-09-01T00:00:00Z", Self.document())
        try scenario.programme(partner: "northwind", announce: "2026-09-04T18:30:00Z", window: "2026-09-14T15:00:00Z",
                               auto: "2026-10-01T15:00:00Z", at: "2026-09-01T00:00:00Z")
        try await scenario.run(until: "2026-09-03T00:00:00Z")
        // Replaced before the announcement: the new instants are the programme.
        try scenario.programme(partner: "northwind", announce: "2026-09-08T17:00:00Z", window: "2026-09-21T15:00:00Z",
                               auto: "2026-10-05T15:00:00Z", at: "2026-09-03T00:00:00Z")
        #expect(try scenario.count("SELECT count(*) FROM programme") == 1)
        #expect(try scenario.count("SELECT count(*) FROM programme WHERE announce_at = ? AND window_start_at = ? AND auto_upgrade_at = ?",
                                   [Instant.seconds(at("2026-09-08T17:00:00Z")), Instant.seconds(at("2026-09-21T15:00:00Z")),
                                    Instant.seconds(at("2026-10-05T15:00:00Z"))]) == 1)
        try await scenario.run(until: "2026-09-10T00:00:00Z")
        // No wake at the old announcement, the banner at the new one.
        #expect(try !scenario.wakeInstants().contains(at("2026-09-04T18:30:00Z")))
        #expect(try scenario.wakeInstants().contains(at("2026-09-08T17:00:00Z")))
        #expect(try scenario.dueInstants(.programmeAnnounced, partner: "northwind") == [at("2026-09-08T17:00:00Z")])

        // Announced: a replacement is refused and changes nothing.
        let message = refusalMessage {
            try scenario.programme(partner: "northwind", announce: "2026-09-14T15:00:00Z", window: "2026-09-14T15:00:00Z",
                                   auto: "2026-10-01T15:00:00Z", at: "2026-09-10T00:00:00Z")
        } ?? ""
        #expect(message.contains("already has a programme, announced at 2026-09-08T17:00:00Z") && message.contains("can no longer be replaced"),
                "\(message)")
        #expect(try scenario.count("SELECT count(*) FROM programme WHERE window_start_at = ?", [Instant.seconds(at("2026-09-21T15:00:00Z"))]) == 1)
    }

    @Test("a replacement requested after the announcement instant is refused even if no wake has announced it yet")
    func replaceAfterAnnouncementInstant() throws {
        let scenario = try UpgradeScenario(start: "2026-09-01T00:00:00Z", Self.document())
        try scenario.programme(partner: "northwind", announce: "2026-09-04T18:30:00Z", window: "2026-09-14T15:00:00Z",
                               auto: "2026-10-01T15:00:00Z", at: "2026-09-01T00:00:00Z")
        // The daemon is down (no wake ran); the banner of 18:30 is due and will be emitted on
        // catch-up (NOT-3). A replacement at 19:00 comes after the announcement.
        #expect(throws: StoreError.self) {
            try scenario.programme(partner: "northwind", announce: "2026-09-08T17:00:00Z", window: "2026-09-21T15:00:00Z",
                                   auto: "2026-10-05T15:00:00Z", at: "2026-09-04T19:00:00Z")
        }
        #expect(try scenario.count("SELECT count(*) FROM programme WHERE announce_at = ?", [Instant.seconds(at("2026-09-04T18:30:00Z"))]) == 1)
    }
}
