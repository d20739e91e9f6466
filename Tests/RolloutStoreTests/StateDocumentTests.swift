import Foundation
import GRDB
import RolloutCore
import RolloutStore
import Testing

/// State documents (`rolloutctl apply`): every entity kind loads, upserts by id, and a document
/// with any problem is rejected whole with every problem listed by JSON path.
@Suite struct StateDocumentTests {
    @Test("a valid document with every entity kind loads, and list() returns each entity with its fields")
    func fullDocumentLoads() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        let document = try store.apply(json(fullDocument))
        #expect(document.counts == ["partners": 2, "organisations": 2, "users": 2, "endpoints": 2, "releases": 1])
        #expect(try rowCounts(store) == [
            "partner": 2, "organisation": 2, "organisation_partner": 3, "user": 2, "endpoint": 2,
            "release": 1, "release_build": 2,
        ])

        let partners = try listed(store, .partners)
        #expect(Set(partners.keys) == ["p-1", "p-2"])
        let p1 = try #require(partners["p-1"])
        #expect(p1["name"] == .string("Acme MSP"))
        #expect(p1["locale"] == .string("fr"))
        #expect(p1["release_management"] == .bool(true))
        #expect(p1["allow_customer_override"] == .bool(false))
        #expect(p1["cadence"] == .string("latest"))
        #expect(p1["defer_weeks"] == .int(2))
        #expect(p1["upgrade_policy"] == .string("manual"))
        #expect(p1["upgrade_delay_days"] == .int(45))
        #expect(p1["end_user_deferral_days"] == .int(10))
        #expect(p1["billing_day"] == .int(15))
        // Defaults for what a partner leaves out (SPEC §1).
        let p2 = try #require(partners["p-2"])
        #expect(p2["locale"] == .string("en"))
        #expect(p2["release_management"] == .bool(false))
        #expect(p2["allow_customer_override"] == .bool(true))
        #expect(p2["cadence"] == .null)
        #expect(p2["upgrade_policy"] == .string("automatic"))
        #expect(p2["billing_day"] == .int(1))

        let organisations = try listed(store, .organisations)
        let o1 = try #require(organisations["o-1"])
        #expect(o1["partners"] == .array([.string("p-1")]))
        #expect(o1["generation"] == .string("legacy"))
        #expect(o1["cadence"] == .string("slow"))
        #expect(o1["defer_weeks"] == .int(8))
        #expect(o1["schedule_origin"] == .string("customer"))
        #expect(o1["allow_customer_override"] == .bool(true))
        #expect(o1["legacy_defer_months"] == .int(3))
        #expect(o1["upgrade_delay_days"] == .int(20))
        let o2 = try #require(organisations["o-2"])
        #expect(o2["partners"] == .array([.string("p-1"), .string("p-2")]))
        #expect(o2["generation"] == .string("cloud"))
        #expect(o2["cadence"] == .null)

        let users = try listed(store, .users)
        #expect(users["u-1"]?["organisation"] == .string("o-1"))
        #expect(users["u-1"]?["automatic_upgrades"] == .string("off"))
        #expect(users["u-2"]?["automatic_upgrades"] == .string("inherit"))

        let endpoints = try listed(store, .endpoints)
        let e1 = try #require(endpoints["e-1"])
        #expect(e1["organisation"] == .string("o-1"))
        #expect(e1["user"] == .string("u-1"))
        #expect(e1["platform"] == .string("windows"))
        #expect(e1["os_version"] == .string("11"))
        #expect(e1["installed_version"] == .string("45.1.0"))
        #expect(e1["agent_generation"] == .string("legacy"))
        #expect(e1["agent_version"] == .string("14.3"))
        #expect(e1["last_check_in"] == .string("2026-03-02T10:00:00Z"))
        #expect(e1["target_version"] == .null)
        #expect(e1["upgrade_state"] == .null)
        let e2 = try #require(endpoints["e-2"])
        #expect(e2["user"] == .null)
        #expect(e2["platform"] == .string("ios"))
        #expect(e2["installed_version"] == .string("44.12"))

        let releases = try listed(store, .releases)
        let release = try #require(releases["45.2.0"])
        #expect(release["automatic_date"] == .string("2026-03-09T15:00:00Z"))
        #expect(release["critical"] == .bool(true))
        #expect(release["platforms"] == .array([.string("macos"), .string("windows")]))
        let builds = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT platform, file, size, sha256 FROM release_build ORDER BY platform")
        }
        #expect(builds.map { $0["file"] as String } == ["webex-45.2.0.dmg", "webex-45.2.0.msi"])
        #expect(builds.map { $0["size"] as Int64 } == [654321, 123456])
        #expect(builds.allSatisfy { ($0["sha256"] as String) == sha })
    }

    @Test("applying twice with a change upserts by id: one row per entity, holding the change")
    func upsertById() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        try store.apply(json(fullDocument))
        let before = try rowCounts(store)
        try store.apply(json("""
            {
              "partners": [{"id": "p-2", "name": "Beta MSP renamed", "billing_day": 28}],
              "organisations": [{"id": "o-2", "name": "Org Two", "partners": ["p-2"], "generation": "legacy"}],
              "endpoints": [{"id": "e-2", "organisation": "o-2", "user": "u-2", "platform": "android",
                             "installed_version": "45.0"}],
              "releases": [{"version": "45.2", "automatic_date": "2026-03-16T15:00:00Z",
                            "builds": [{"platform": "linux", "file": "webex.deb", "size": 1, "sha256": "\(sha)"}]}]
            }
            """))
        var expected = before
        expected["organisation_partner"] = before["organisation_partner"]! - 1  // o-2 now managed by p-2 alone
        expected["release_build"] = 1  // 45.2 == 45.2.0: its builds are replaced
        #expect(try rowCounts(store) == expected)

        let p2 = try #require(try listed(store, .partners)["p-2"])
        #expect(p2["name"] == .string("Beta MSP renamed"))
        #expect(p2["billing_day"] == .int(28))
        let o2 = try #require(try listed(store, .organisations)["o-2"])
        #expect(o2["partners"] == .array([.string("p-2")]))
        #expect(o2["generation"] == .string("legacy"))
        let e2 = try #require(try listed(store, .endpoints)["e-2"])
        #expect(e2["platform"] == .string("android"))
        #expect(e2["user"] == .string("u-2"))
        #expect(e2["installed_version"] == .string("45.0"))
        // `45.2` is the stored release `45.2.0`: same row, spelling kept, date and builds replaced.
        let releases = try listed(store, .releases)
        #expect(Array(releases.keys) == ["45.2.0"])
        #expect(releases["45.2.0"]?["automatic_date"] == .string("2026-03-16T15:00:00Z"))
        // `critical` is left out of the second document: the stored value stays (DMN-9).
        #expect(releases["45.2.0"]?["critical"] == .bool(true))
        #expect(releases["45.2.0"]?["platforms"] == .array([.string("linux")]))
        // Untouched entities are unchanged.
        #expect(try listed(store, .partners)["p-1"]?["billing_day"] == .int(15))
    }

    /// Every kind of problem the brief names, one each, next to valid entities that must not be
    /// written either.
    static let invalidDocument = """
        {
          "partners": [
            {"id": "p-1", "name": "One", "billing_day": 31},
            {"id": "p-2", "name": "Two", "schedule": {"cadence": "slow", "defer_weeks": 13}},
            {"id": "p-1", "name": "One again"},
            {"id": "p-new", "name": "A valid new partner"}
          ],
          "organisations": [
            {"id": "o-1", "name": "Org One", "partners": ["p-1"]},
            {"id": "o-2", "name": "Org Two", "partners": ["p-new"]},
            {"id": "o-3", "name": "Org Three", "partners": ["p-ghost"]}
          ],
          "users": [
            {"id": "u-1", "organisation": "o-1", "name": "Ada", "colour": "blue"},
            {"id": "u-2", "organisation": "o-2", "name": "Bob"}
          ],
          "endpoints": [
            {"id": "e-1", "organisation": "o-missing", "platform": "windows", "installed_version": "45.0"},
            {"id": "e-2", "organisation": "o-1", "user": "u-2", "platform": "macos", "installed_version": "45.0"},
            {"id": "e-3", "organisation": "o-1", "platform": "blackberry", "installed_version": "45.0"},
            {"id": "e-4", "organisation": "o-1", "platform": "linux", "installed_version": "1.x"},
            {"id": "e-5", "organisation": "o-2", "user": "u-2", "platform": "macos", "installed_version": "45.0"}
          ],
          "releases": [
            {"version": "1.x", "automatic_date": "2026-03-09T15:00:00Z"},
            {"version": "46.0", "automatic_date": "2026-04-13T15:00:00Z"}
          ]
        }
        """

    static let invalidDocumentPaths = [
        "$.partners[0].billing_day",  // out of range: 1…28
        "$.partners[1].schedule.defer_weeks",  // slow allows 0…12 (CAD-1)
        "$.partners[2]",  // duplicate id p-1
        "$.organisations[2].partners[0]",  // unknown partner
        "$.users[0].colour",  // unknown field
        "$.endpoints[0].organisation",  // unknown organisation
        "$.endpoints[1].user",  // a user of another organisation
        "$.endpoints[2].platform",  // not a platform
        "$.endpoints[3].installed_version",  // not a version
        "$.releases[0].version",  // not a version
    ]

    @Test("an invalid document lists every problem by its exact JSON path")
    func everyProblemByPath() throws {
        let rejected = try #require(throws: DocumentRejected.self) {
            try StateDocument.parse(json(Self.invalidDocument))
        }
        #expect(rejected.problems.map(\.path).sorted() == Self.invalidDocumentPaths.sorted())
        let byPath = Dictionary(rejected.problems.map { ($0.path, $0.message) }, uniquingKeysWith: { $0 + " | " + $1 })
        #expect(byPath["$.partners[0].billing_day"]?.contains("between 1 and 28") == true)
        #expect(byPath["$.partners[1].schedule.defer_weeks"]?.contains("between 0 and 12") == true)
        #expect(byPath["$.partners[2]"]?.contains("p-1") == true)
        #expect(byPath["$.endpoints[1].user"]?.contains("o-2") == true)
        #expect(byPath["$.endpoints[3].installed_version"]?.contains("1.x") == true)
        #expect(byPath["$.endpoints[2].platform"]?.contains("blackberry") == true)
    }

    @Test("reference and duplicate problems keep the element's own JSON index when an earlier element is invalid")
    func pathsAfterAnInvalidElement() throws {
        // Element 0 of each array fails to parse; the problems of the elements after it must still
        // name their own index in the document, not their index among the elements that parsed.
        let rejected = try #require(throws: DocumentRejected.self) {
            try StateDocument.parse(json("""
                {
                  "partners": [{"id": "not an id!"}, {"id": "p-1"}, {"id": "p-1"}],
                  "organisations": [{"id": "bad id!", "partners": ["p-1"]}, {"id": "o-1", "partners": ["p-ghost"]}],
                  "users": [{"id": "bad id!", "organisation": "o-1"}, {"id": "u-1", "organisation": "o-ghost"}],
                  "endpoints": [
                    {"id": "e-0", "organisation": "o-1", "platform": "blackberry", "installed_version": "45.0"},
                    {"id": "e-1", "organisation": "o-ghost", "platform": "linux", "installed_version": "45.0"}
                  ]
                }
                """))
        }
        #expect(rejected.problems.map(\.path).sorted() == [
            "$.endpoints[0].platform",
            "$.endpoints[1].organisation",
            "$.organisations[0].id",
            "$.organisations[1].partners[0]",
            "$.partners[0].id",
            "$.partners[2]",
            "$.users[0].id",
            "$.users[1].organisation",
        ])
    }

    @Test("an element with a bad field and a bad reference reports both problems")
    func badFieldAndBadReferenceInOneElement() throws {
        let rejected = try #require(throws: DocumentRejected.self) {
            try StateDocument.parse(json("""
                {"endpoints": [{"id": "e-1", "organisation": "o-ghost", "platform": "blackberry", "installed_version": "45.0"}],
                 "users": [{"id": "u-1", "organisation": "o-ghost", "automatic_upgrades": "sometimes"}]}
                """))
        }
        #expect(rejected.problems.map(\.path).sorted() == [
            "$.endpoints[0].organisation", "$.endpoints[0].platform",
            "$.users[0].automatic_upgrades", "$.users[0].organisation",
        ])
    }

    @Test("an invalid document writes nothing, not even its valid entities")
    func invalidDocumentWritesNothing() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        try store.apply(json(fullDocument))
        let before = try rowCounts(store)
        let listingsBefore = try EntityKind.allCases.map { try store.list($0).rows }

        let rejected = try #require(throws: DocumentRejected.self) {
            try store.apply(json(Self.invalidDocument))
        }
        // Stored ids are known references, so o-1 (stored) is fine; the rest are the same problems.
        #expect(rejected.problems.map(\.path).sorted() == Self.invalidDocumentPaths.sorted())
        #expect(try rowCounts(store) == before)
        #expect(try EntityKind.allCases.map { try store.list($0).rows } == listingsBefore)
        #expect(try listed(store, .partners)["p-new"] == nil)
    }

    @Test("an empty store rejects an invalid document and stays empty")
    func invalidDocumentOnEmptyStore() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        #expect(throws: DocumentRejected.self) { try store.apply(json(Self.invalidDocument)) }
        #expect(try rowCounts(store).values.allSatisfy { $0 == 0 })
    }

    @Test("unknown top-level keys, malformed JSON and wrong shapes are reported at their path")
    func shapeProblems() throws {
        let malformed = try #require(throws: DocumentRejected.self) { try StateDocument.parse(json("{\"partners\": [")) }
        #expect(malformed.problems.map(\.path) == ["$"])

        let wrongShapes = try #require(throws: DocumentRejected.self) {
            try StateDocument.parse(json("""
                {"partners": {"id": "p-1"}, "gadgets": [], "users": [42],
                 "releases": [{"version": "45.0", "automatic_date": "tomorrow"}]}
                """))
        }
        #expect(wrongShapes.problems.map(\.path).sorted()
            == ["$.gadgets", "$.partners", "$.releases[0].automatic_date", "$.users[0]"])
    }

    @Test("references to ids already stored are accepted")
    func referencesToStoredIds() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        try store.apply(json("""
            {"partners": [{"id": "p-1", "name": "One"}],
             "organisations": [{"id": "o-1", "name": "Org", "partners": ["p-1"]}],
             "users": [{"id": "u-1", "organisation": "o-1", "name": "Ada"}]}
            """))
        try store.apply(json("""
            {"organisations": [{"id": "o-2", "name": "Org Two", "partners": ["p-1"]}],
             "users": [{"id": "u-2", "organisation": "o-1", "name": "Bob"}],
             "endpoints": [{"id": "e-1", "organisation": "o-1", "user": "u-1", "platform": "linux", "installed_version": "45.0"}]}
            """))
        #expect(try listed(store, .endpoints)["e-1"]?["user"] == .string("u-1"))
        #expect(try listed(store, .users)["u-2"]?["organisation"] == .string("o-1"))
        #expect(try listed(store, .organisations)["o-2"]?["partners"] == .array([.string("p-1")]))
    }

    @Test("a stored user of another organisation is refused on an endpoint")
    func storedUserOfAnotherOrganisation() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        try store.apply(json(fullDocument))  // u-2 belongs to o-2
        let before = try rowCounts(store)
        let rejected = try #require(throws: DocumentRejected.self) {
            try store.apply(json("""
                {"endpoints": [{"id": "e-9", "organisation": "o-1", "user": "u-2", "platform": "linux", "installed_version": "45.0"}]}
                """))
        }
        #expect(rejected.problems.map(\.path) == ["$.endpoints[0].user"])
        #expect(try rowCounts(store) == before)
    }
}
