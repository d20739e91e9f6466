import RolloutCore
import Testing

@Suite("CAD-1 schedule bounds")
struct ScheduleBoundsTests {
    @Test("latest accepts 0 to 4 weeks and rejects 5, naming the bound")
    func latestBounds() throws {
        #expect(try Schedule(cadence: .latest, deferralWeeks: 0).deferralWeeks == 0)
        #expect(try Schedule(cadence: .latest, deferralWeeks: 4).deferralWeeks == 4)
        #expect(try Schedule(cadence: .latest).deferralWeeks == 4)
        let error = #expect(throws: ScheduleError.self) { try Schedule(cadence: .latest, deferralWeeks: 5) }
        #expect(error?.description.contains("between 0 and 4 weeks") == true)
    }

    @Test("slow accepts 0 to 12 weeks and rejects 13, naming the bound")
    func slowBounds() throws {
        #expect(try Schedule(cadence: .slow).deferralWeeks == 12)
        let error = #expect(throws: ScheduleError.self) { try Schedule(cadence: .slow, deferralWeeks: 13) }
        #expect(error?.description.contains("between 0 and 12 weeks") == true)
        #expect(throws: ScheduleError.self) { try Schedule(cadence: .slow, deferralWeeks: -1) }
    }

    @Test("automatic has no deferral")
    func automaticBounds() {
        #expect(throws: ScheduleError.self) { try Schedule(cadence: .automatic, deferralWeeks: 1) }
    }
}
