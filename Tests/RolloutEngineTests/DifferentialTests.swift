import Foundation
import GRDB
import PropertyBased
import RolloutCore
@testable import RolloutEngine
import RolloutStore
import Testing

/// One home per rule, proven equal (issue #8): where a rule has a per-entity model in the core and
/// a set-based implementation in SQL, both run over many generated fleets (seeded by
/// swift-property-based; a failure prints the seed that reproduces it) and must agree exactly.
/// Each case is small and runs in one transaction on a shared temporary SQLite file.
@Suite("Differential: core model = set-based SQL")
struct DifferentialTests {
    static let cases = 1_000
    static let calendar = BusinessCalendar()
    static let context = RuleContext(calendar: calendar, policy: Policy())
    /// The generated instants are around this one.
    static let origin = Instant.parse("2026-06-01T00:00:00Z")!

    static func temporaryStore() throws -> (Store, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rolloutd-differential-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (try Store(path: directory.appendingPathComponent("differential.sqlite").path), directory)
    }

    static func version(_ minor: Int) -> Version { Version("45.\(minor).0")! }

    // MARK: CAD-2, CAD-6, CAD-7: target versions

    struct GeneratedRelease: Sendable {
        var minor: Int
        var offsetDays: Int
        var critical: Bool
        /// A bit per platform of `Platform.allCases`.
        var platformBits: Int
    }

    struct GeneratedEndpoint: Sendable {
        var organisation: Int
        var platform: Platform
        var installedMinor: Int
        /// nil: no user; otherwise the user's switch.
        var user: AutomaticUpgrades?
    }

    static let releases = zip(Gen.int(in: 1...9), Gen.int(in: -120...20), Gen.bool(0.2), Gen.int(in: 0...31))
        .map { GeneratedRelease(minor: $0, offsetDays: $1, critical: $2, platformBits: $3) }
        .array(of: 0...6)
    static let schedules = Gen.int(in: 0...(Retargeting.allSchedules.count - 1)).array(of: 1...3)
    static let endpoints = zip(Gen.int(in: 0...2), Gen<Platform>.case, Gen.int(in: 0...9), Gen<AutomaticUpgrades>.case.optional)
        .map { GeneratedEndpoint(organisation: $0, platform: $1, installedMinor: $2, user: $3) }
        .array(of: 1...8)

    /// Each fleet is retargeted in wakes of at most `limit` endpoints (`retargetsPerWake`), with
    /// the whole document in scope, or incrementally (the groups whose release changed since a
    /// month earlier) with an organisation, a user and an endpoint named: the stages of one wake
    /// must not take an endpoint twice, and the wakes together must reach the core's targets.
    @Test("target versions (CAD-2/6/7): ReleaseTimeline.target per endpoint = Retargeting's SQL, over 1,000 fleets, in wakes of at most 1 to 9 endpoints or unlimited")
    func targetVersions() async throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let limits = Gen.int(in: 1...10).map { $0 == 10 ? RuleContext.defaultRetargetsPerWake : $0 }
        await propertyCheck(count: Self.cases, input: Self.releases, Self.schedules, Self.endpoints, Gen.int(in: 0...3_000), zip(limits, Gen.bool())) {
            generatedReleases, scheduleIndexes, generatedEndpoints, atHours, wakes in
            let at = Self.origin.addingTimeInterval(TimeInterval(atHours * 3_600))
            var seen = Set<Int>()
            let releases = generatedReleases.filter { seen.insert($0.minor).inserted }.map { release in
                Release(version: Self.version(release.minor), automaticDate: Self.origin.addingTimeInterval(TimeInterval(release.offsetDays * 86_400)),
                        critical: release.critical,
                        platforms: Set(Platform.allCases.enumerated().filter { release.platformBits & (1 << $0.offset) != 0 }.map(\.element)))
            }
            let schedules = scheduleIndexes.map { Retargeting.allSchedules[$0] }
            let fleet = generatedEndpoints.map { endpoint in
                (endpoint: endpoint, organisation: min(endpoint.organisation, schedules.count - 1))
            }

            let timeline = ReleaseTimeline(releases: releases, calendar: Self.calendar)
            var expected: [String: String?] = [:]
            for (index, entry) in fleet.enumerated() {
                let facts = EndpointReleaseFacts(platform: entry.endpoint.platform, installedVersion: Self.version(entry.endpoint.installedMinor),
                                                 automaticUpgrades: entry.endpoint.user ?? .inherit)
                expected.updateValue(timeline.target(for: facts, at: at, under: schedules[entry.organisation]).version?.description, forKey: "e\(index)")
            }

            let actual: [String: String?] = try store.write { db in
                try db.execute(sql: """
                    DELETE FROM endpoint; DELETE FROM user; DELETE FROM organisation; DELETE FROM release_build; DELETE FROM release;
                    DELETE FROM applied_effective_release
                    """)
                for release in releases {
                    try db.execute(sql: "INSERT INTO release (version, version_key, auto_date, critical) VALUES (?,?,?,?)",
                                   arguments: [release.version.description, release.version.sortKey, Instant.seconds(release.automaticDate), release.critical])
                    for platform in release.platforms {
                        try db.execute(sql: "INSERT INTO release_build VALUES (?, ?, 'f', 1, ?)",
                                       arguments: [release.version.description, platform.rawValue, String(repeating: "a", count: 64)])
                    }
                }
                for (index, schedule) in schedules.enumerated() {
                    try db.execute(sql: "INSERT INTO organisation (id, name, effective_cadence, effective_defer_weeks) VALUES (?, ?, ?, ?)",
                                   arguments: ["o\(index)", "Org \(index)", schedule.cadence.rawValue, schedule.deferralWeeks])
                }
                for (index, entry) in fleet.enumerated() {
                    let installed = Self.version(entry.endpoint.installedMinor)
                    if let user = entry.endpoint.user {
                        try db.execute(sql: "INSERT INTO user (id, organisation_id, name, automatic_upgrades) VALUES (?, ?, 'u', ?)",
                                       arguments: ["u\(index)", "o\(entry.organisation)", user.rawValue])
                    }
                    try db.execute(sql: """
                        INSERT INTO endpoint (id, organisation_id, user_id, platform, installed_version, installed_version_key)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """, arguments: ["e\(index)", "o\(entry.organisation)", entry.endpoint.user.map { _ in "u\(index)" },
                                         entry.endpoint.platform.rawValue, installed.description, installed.sortKey])
                }
                let (limit, named) = wakes
                let context = RuleContext(calendar: Self.calendar, policy: Policy(), retargetsPerWake: limit)
                // The named scope goes the incremental way: every target was set a month
                // earlier, and only the groups whose effective release moved since, plus what
                // is named, are staged again.
                if named {
                    _ = try Retargeting.run(db, at: at.addingTimeInterval(-30 * 86_400), context: Self.context, scope: Retargeting.Scope(requests: ["document"]))
                }
                let scope = Retargeting.Scope(requests: named ? ["organisation:o0", "user:u1", "endpoint:e2"] : ["document"])
                var outcome: Retargeting.Outcome
                var runs = 0
                repeat {
                    outcome = try Retargeting.run(db, at: at, context: context, scope: scope)
                    runs += 1
                    #expect(outcome.retargeted <= limit)
                } while !outcome.complete && runs <= fleet.count
                #expect(outcome.complete, "still not complete after \(runs) wakes of \(limit)")
                return try Row.fetchAll(db, sql: "SELECT id, target_version FROM endpoint").reduce(into: [:]) { $0.updateValue($1["target_version"] as String?, forKey: $1["id"]) }
            }
            #expect(actual == expected, "at \(Instant.format(at)), schedules \(schedules), releases \(releases.map { "\($0.version)@\(Instant.format($0.automaticDate))\($0.critical ? "!" : "") \($0.platforms.map(\.rawValue).sorted())" })")
        }
    }

    // MARK: CAD-2: when a release next becomes effective

    @Test("release-effective deadlines (CAD-2): the earliest ReleaseTimeline.nextEffectiveInstant over the schedules in use = the rule's deadline, over 1,000 fleets")
    func releaseEffectiveDeadlines() async throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        await propertyCheck(count: Self.cases, input: Self.releases, Self.schedules, Gen.int(in: -1_500...3_000)) {
            generatedReleases, scheduleIndexes, cursorHours in
            let cursor = Self.origin.addingTimeInterval(TimeInterval(cursorHours * 3_600))
            var seen = Set<Int>()
            let releases = generatedReleases.filter { seen.insert($0.minor).inserted }.map { release in
                Release(version: Self.version(release.minor), automaticDate: Self.origin.addingTimeInterval(TimeInterval(release.offsetDays * 86_400)),
                        critical: release.critical, platforms: [.windows])
            }
            let schedules = scheduleIndexes.map { Retargeting.allSchedules[$0] }
            let timeline = ReleaseTimeline(releases: releases, calendar: Self.calendar)
            let expected = schedules.compactMap { timeline.nextEffectiveInstant(after: cursor, under: $0) }.min()

            let actual: Date? = try store.write { db in
                try db.execute(sql: """
                    DELETE FROM endpoint; DELETE FROM user; DELETE FROM organisation; DELETE FROM release_build; DELETE FROM release;
                    DELETE FROM applied_effective_release
                    """)
                for release in releases {
                    try db.execute(sql: "INSERT INTO release (version, version_key, auto_date, critical) VALUES (?,?,?,?)",
                                   arguments: [release.version.description, release.version.sortKey, Instant.seconds(release.automaticDate), release.critical])
                }
                for (index, schedule) in schedules.enumerated() {
                    try db.execute(sql: "INSERT INTO organisation (id, name, effective_cadence, effective_defer_weeks) VALUES (?, ?, ?, ?)",
                                   arguments: ["o\(index)", "Org \(index)", schedule.cadence.rawValue, schedule.deferralWeeks])
                }
                return try ReleaseManagementRule().deadlines(db, after: cursor, context: Self.context)
                    .filter { $0.reason.kind == "release_effective" }.map(\.at).min()
            }
            #expect(actual == expected, "cursor \(Instant.format(cursor)), schedules \(schedules), releases \(releases.map { "\($0.version)@\(Instant.format($0.automaticDate))\($0.critical ? "!" : "")" })")
        }
    }

    // MARK: UPG-3: readiness

    struct GeneratedReadinessEndpoint: Sendable {
        var platform: Platform
        /// An index into `osVersions` (the last ones are missing or not a version).
        var os: Int
        var agent: Int
        /// Days before the evaluation instant of the last check-in; nil: never checked in.
        var checkedInDaysAgo: Int?
    }

    static let osVersions: [String?] = ["10.0.17763", "10.0.17000", "10.0.22631", "12.0", "11.7", "14.1", "4.18", "4.14", "6.1", nil, "not-a-version"]
    static let agentVersions: [String?] = ["14.0.0", "13.9.9", "14.3.1", "15.0", nil, "garbage"]
    static let features = ["host_integrity", "custom_ips_signatures", "location_awareness", "firewall", "web_filter"]

    static let readinessEndpoints = zip(Gen<Platform>.case, Gen.int(in: 0...(osVersions.count - 1)), Gen.int(in: 0...(agentVersions.count - 1)),
                                        Gen.int(in: 0...60).optional(valueRate: 0.9))
        .map { GeneratedReadinessEndpoint(platform: $0, os: $1, agent: $2, checkedInDaysAgo: $3) }
        .array(of: 0...14)

    @Test("readiness (UPG-3): the core's checklist from each endpoint = ReadinessEvaluation's SQL counts, over 1,000 organisations")
    func readiness() async throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let criteria = ReadinessCriteria()
        await propertyCheck(count: Self.cases, input: Self.readinessEndpoints, Gen.int(in: 0...31), Gen.int(in: 0...2_000)) {
            generated, featureBits, atHours in
            let at = Self.origin.addingTimeInterval(TimeInterval(atHours * 3_600))
            let features = Set(Self.features.enumerated().filter { featureBits & (1 << $0.offset) != 0 }.map(\.element))
            let endpoints = generated.enumerated().map { index, endpoint in
                (id: "e\(index)", endpoint: endpoint, lastCheckIn: endpoint.checkedInDaysAgo.map { at.addingTimeInterval(TimeInterval(-$0 * 86_400 + 3_600)) })
            }
            // The per-entity model: desktop endpoints, in id order.
            let facts = endpoints.filter { $0.endpoint.platform.isDesktop }.sorted { $0.id < $1.id }.map { entry in
                EndpointReadinessFacts(id: entry.id, platform: entry.endpoint.platform,
                                       osVersion: Self.osVersions[entry.endpoint.os].flatMap(Version.init),
                                       agentVersion: Self.agentVersions[entry.endpoint.agent].flatMap(Version.init), lastCheckIn: entry.lastCheckIn)
            }
            let expected = Readiness(facts: ReadinessFacts(endpoints: facts, policyFeaturesInUse: features, criteria: criteria, at: at, calendar: Self.calendar),
                                     criteria: criteria)

            let actual = try store.write { db in
                try db.execute(sql: "DELETE FROM endpoint; DELETE FROM organisation")
                try db.execute(sql: "INSERT INTO organisation (id, name, policy_features) VALUES ('o', 'Org', ?)",
                               arguments: [String(decoding: try JSONEncoder().encode(features.sorted()), as: UTF8.self)])
                for entry in endpoints {
                    try db.execute(sql: """
                        INSERT INTO endpoint (id, organisation_id, platform, os_version, installed_version, installed_version_key, agent_version, last_check_in)
                        VALUES (?, 'o', ?, ?, '45.1.0', ?, ?, ?)
                        """, arguments: [entry.id, entry.endpoint.platform.rawValue, Self.osVersions[entry.endpoint.os], Self.version(1).sortKey,
                                         Self.agentVersions[entry.endpoint.agent], entry.lastCheckIn.map(Instant.seconds)])
                }
                var unreadable: [String: String] = [:]
                return try ReadinessEvaluation.evaluate(db, organisations: "SELECT 'o'", at: at, criteria: criteria, calendar: Self.calendar,
                                                        unreadable: &unreadable)["o"]
            }
            #expect(actual == expected, "at \(Instant.format(at)), features \(features.sorted())")
        }
    }

    // MARK: UPG-6: the endpoint lifecycle as time moves

    struct GeneratedLifecycleEndpoint: Sendable {
        /// 0 pending, 1 notified, 2 deferred.
        var state: Int
        /// Pending: the automatic-upgrade time; otherwise the trigger time; hours from the origin.
        var instantHours: Int
        /// Deferred: how far from trigger to D the user deferred, in thirds (0, 1 or 2).
        var deferredThirds: Int
    }

    static let lifecycleEndpoints = zip(Gen.int(in: 0...2), Gen.int(in: -400...200), Gen.int(in: 0...2))
        .map { GeneratedLifecycleEndpoint(state: $0, instantHours: $1, deferredThirds: $2) }
        .array(of: 1...8)

    @Test("endpoint lifecycle (UPG-6): EndpointLifecycle per endpoint = EndpointTransitions' set-based steps, over 1,000 fleets")
    func endpointLifecycle() async throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        await propertyCheck(count: Self.cases, input: Self.lifecycleEndpoints, Gen.int(in: 0...30), Gen.int(in: 0...240)) {
            generated, deferralDays, wakeHours in
            let wakeAt = Self.origin.addingTimeInterval(TimeInterval(wakeHours * 3_600))
            let lifecycle = try EndpointLifecycle(deferralLimitDays: deferralDays, calendar: Self.calendar, defaults: Self.context.policy)
            // The stored record of each endpoint, as the core sees it.
            let records: [EndpointUpgradeRecord] = generated.map { endpoint in
                let instant = Self.origin.addingTimeInterval(TimeInterval(endpoint.instantHours * 3_600))
                guard endpoint.state > 0 else { return EndpointUpgradeRecord(state: .pending, automaticUpgradeAt: instant) }
                let deadline = Self.calendar.adding(days: deferralDays, to: instant)
                let deferredAt = instant.addingTimeInterval(deadline.timeIntervalSince(instant) * Double(endpoint.deferredThirds) / 3)
                return EndpointUpgradeRecord(
                    state: endpoint.state == 1 ? .notified : .deferred, triggeredAt: instant, deferralDeadline: deadline,
                    reminders: endpoint.state == 2 ? EndpointLifecycle.reminders(trigger: instant, deadline: deadline).filter { $0 > deferredAt } : [])
            }
            // The per-entity model: every time-driven event due by the wake, in time order.
            struct Outcome: Equatable {
                var state: String
                var triggeredAt: Int64?
                var deadline: Int64?
                var nextReminder: Int64?
                var notifications: Int
            }
            var expected: [String: Outcome] = [:]
            for (index, start) in records.enumerated() {
                var record = start
                var notices = 0
                while let due = record.deadlines.filter({ $0.at <= wakeAt }).min(by: { $0.at < $1.at }) {
                    let step = try lifecycle.apply(due.event, to: record, at: due.at)
                    record = step.record
                    notices += step.notices.count
                }
                expected["e\(index)"] = Outcome(state: record.state.rawValue, triggeredAt: record.triggeredAt.map(Instant.seconds),
                                                deadline: record.deferralDeadline.map(Instant.seconds),
                                                nextReminder: record.state == .deferred ? record.reminders.first.map(Instant.seconds) : nil,
                                                notifications: notices)
            }

            let actual: [String: Outcome] = try store.write { db in
                try db.execute(sql: "DELETE FROM notification; DELETE FROM endpoint; DELETE FROM organisation; DELETE FROM partner")
                try db.execute(sql: "INSERT INTO partner (id, name, end_user_deferral_days) VALUES ('p', 'Partner', ?)", arguments: [deferralDays])
                try db.execute(sql: "INSERT INTO organisation (id, name, generation, upgrade_partner_id) VALUES ('o', 'Org', 'cloud', 'p')")
                for (index, record) in records.enumerated() {
                    try db.execute(sql: """
                        INSERT INTO endpoint (id, organisation_id, platform, installed_version, installed_version_key, agent_generation,
                                              upgrade_state, upgrade_at, triggered_at, deferral_deadline, next_reminder_at)
                        VALUES (?, 'o', 'windows', '45.1.0', ?, 'legacy', ?, ?, ?, ?, ?)
                        """, arguments: ["e\(index)", Self.version(1).sortKey, record.state.rawValue, record.automaticUpgradeAt.map(Instant.seconds),
                                         record.triggeredAt.map(Instant.seconds), record.deferralDeadline.map(Instant.seconds),
                                         record.reminders.first.map(Instant.seconds)])
                }
                var wake = WakeContext(db: db, wake: Wake(at: wakeAt, reasons: [.boundary]), previous: Self.origin.addingTimeInterval(-86_400 * 30),
                                       rules: Self.context, late: false)
                try EndpointTransitions.trigger(&wake)
                try EndpointTransitions.remind(&wake)
                try EndpointTransitions.deadlines(&wake)
                let notified = try Row.fetchAll(db, sql: "SELECT endpoint_id, count(*) FROM notification GROUP BY endpoint_id")
                    .reduce(into: [String: Int]()) { $0[$1[0]] = $1[1] }
                return try Row.fetchAll(db, sql: "SELECT id, upgrade_state, triggered_at, deferral_deadline, next_reminder_at FROM endpoint")
                    .reduce(into: [:]) { result, row in
                        let id: String = row["id"]
                        result[id] = Outcome(state: row["upgrade_state"], triggeredAt: row["triggered_at"], deadline: row["deferral_deadline"],
                                             nextReminder: row["next_reminder_at"], notifications: notified[id] ?? 0)
                    }
            }
            #expect(actual == expected, "wake \(Instant.format(wakeAt)), deferral limit \(deferralDays) day(s), records \(records)")
        }
    }

    // MARK: NOT-1, NOT-2: a fleet's notifications = one notification's

    /// Texts that try to break a fill or a key: tokens, lone braces, the key's separator and
    /// escape, quotes, accents.
    static let awkwardText = Gen.element(of: ["a", "Acme ", "{", "}", "|", "\\", "'", "é", "{version}", "{organisation}", "{date}", "{nope}"])
        .array(of: 0...6).map { $0.compactMap { $0 }.joined() }

    @Test("notification text and key (NOT-1, NOT-2): Outbox.emitAll's SQL = NotificationTemplates.render and IdempotencyKey, over 1,000 notifications")
    func notificationText() async throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        await propertyCheck(count: Self.cases, input: Gen<NotificationKind>.case, Gen<Language>.case, Self.awkwardText.array(of: 6),
                            Self.awkwardText, Self.awkwardText) { kind, language, texts, subject, occurrence in
            let values = Dictionary(uniqueKeysWithValues: kind.placeholders.enumerated().map { ($0.element.rawValue, texts[$0.offset % texts.count]) })
            let expected = NotificationTemplates.render(kind, language, values: values)
            let key = IdempotencyKey(kind: kind, subject: subject, occurrence: occurrence).canonical
            let columns = kind.placeholders.map { ", ? AS \"\($0.rawValue)\"" }.joined()
            let written = try store.write { db in
                try db.execute(sql: "DELETE FROM notification")
                let count = try Outbox.emitAll(db, kind: kind, audience: .partnerAdmins, source: """
                    SELECT ? AS subject, ? AS occurrence, NULL AS partner_id, NULL AS organisation_id, NULL AS user_id,
                           NULL AS endpoint_id, ? AS locale, 0 AS due_at\(columns)
                    """, arguments: StatementArguments([subject, occurrence, language.rawValue] + kind.placeholders.map { values[$0.rawValue] }),
                    late: false)
                return (count, try Row.fetchOne(db, sql: "SELECT idempotency_key, subject, body FROM notification"))
            }
            #expect(written.0 == 1)
            #expect(written.1?["idempotency_key"] == key)
            #expect(written.1?["subject"] == expected.subject, "\(kind.rawValue) \(language.rawValue) \(values)")
            #expect(written.1?["body"] == expected.body, "\(kind.rawValue) \(language.rawValue) \(values)")
        }
    }
}
