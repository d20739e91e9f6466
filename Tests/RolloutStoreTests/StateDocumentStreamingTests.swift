import Foundation
import GRDB
import RolloutCore
import RolloutStore
import Testing

/// `apply` streams the document: arrays in any order, elements read one at a time from a file
/// in chunks, strings and escapes that straddle the chunks, and JSON that is not quite JSON.
@Suite struct StateDocumentStreamingTests {
    @Test("arrays may come in any order: an endpoint may name an organisation that comes later")
    func anyOrder() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        let applied = try store.apply(json("""
            {"endpoints": [{"id": "e-1", "organisation": "o-1", "user": "u-1", "platform": "linux", "installed_version": "45.0"}],
             "users": [{"id": "u-1", "organisation": "o-1"}],
             "organisations": [{"id": "o-1", "partners": ["p-1"]}],
             "partners": [{"id": "p-1"}]}
            """))
        #expect(applied.counts == ["partners": 1, "organisations": 1, "users": 1, "endpoints": 1, "releases": 0])
        #expect(try listed(store, .endpoints)["e-1"]?["user"] == .string("u-1"))
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test("a document read from a file in chunks loads every element, whatever straddles a chunk boundary")
    func fromFileInChunks() throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        // Enough endpoints for several 1 MiB chunks; names with escapes and non-ASCII text.
        let count = 12_000
        var text = #"{"partners": [{"id": "p-1", "name": "Acme \"MSP\" \\ \u00e9\ud83d\ude00 ünïcödé"}], "organisations": ["#
        text += (0..<count / 10).map { #"{"id": "o-\#($0)", "name": "Organisation \u004f\#($0) — ✓", "partners": ["p-1"]}"# }
            .joined(separator: ",\n")
        text += "], \"endpoints\": [\n"
        text += (0..<count).map {
            #"{"id": "e-\#($0)", "organisation": "o-\#($0 / 10)", "platform": "windows", "os_version": "10.0.\#($0)\t", "#
                + #""installed_version": "45.1.0", "last_check_in": "2026-03-02T10:00:00+01:00"}"#
        }.joined(separator: ",\n")
        text += "\n]}\n"
        let file = directory.path("fleet.json")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(text.utf8.count > 2 << 20)
        let descriptor = open(file, O_RDONLY)
        defer { close(descriptor) }
        let applied = try store.apply(descriptor: descriptor)
        #expect(applied.counts["endpoints"] == count)
        #expect(applied.counts["organisations"] == count / 10)
        #expect(try rowCounts(store)["endpoint"] == count)
        #expect(try listed(store, .partners)["p-1"]?["name"] == .string("Acme \"MSP\" \\ é😀 ünïcödé"))
        #expect(try listed(store, .organisations)["o-7"]?["name"] == .string("Organisation O7 — ✓"))
        let last = try #require(try listed(store, .endpoints)["e-\(count - 1)"])
        #expect(last["os_version"] == .string("10.0.\(count - 1)\t"))
        #expect(last["last_check_in"] == .string("2026-03-02T09:00:00Z"))
    }

    @Test("what JSONSerialization refused is refused, at path $, and nothing is written", arguments: [
        #"{"partners": [{"id": "p-1"}]} trailing"#, #"{"partners": [{"id": "p-1"},]}"#, #"{"partners": [{"id": "p-1", }]}"#,
        #"{"partners": [{"id": "p\x"}]}"#, #"{"partners": [{"id": "\ud83d"}]}"#, "{\"partners\": [{\"id\": \"p\u{01}\"}]}",
        #"{"partners": [{"id": "p-1", "billing_day": 01}]}"#, #"{"partners": [{"id": "p-1", "billing_day": 1.}]}"#,
        #"{"partners": [{"id": 'p-1'}]}"#, #"{"partners": [tru]}"#, "", "   ", #"{"partners": [{"id": "p-1"}]"#,
    ])
    func malformed(text: String) throws {
        let directory = try StoreDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        let rejected = try #require(throws: DocumentRejected.self) { try store.apply(json(text)) }
        #expect(rejected.problems.map(\.path) == ["$"])
        #expect(rejected.problems.first?.message.hasPrefix("not valid JSON") == true)
        #expect(try rowCounts(store).values.allSatisfy { $0 == 0 })
    }

    @Test("strings are not valid UTF-8 → refused")
    func invalidUTF8() throws {
        var data = Data(#"{"partners": [{"id": "p-1", "name": ""#.utf8)
        data.append(contentsOf: [0xC3, 0x28])
        data.append(contentsOf: Data(#""}]}"#.utf8))
        let rejected = try #require(throws: DocumentRejected.self) { try StateDocument.parse(data) }
        #expect(rejected.problems.map(\.path) == ["$"])
    }

    @Test("a document that is valid JSON but not an object is refused at $")
    func notAnObject() throws {
        for text in ["[]", "42", "\"partners\"", "null"] {
            let rejected = try #require(throws: DocumentRejected.self) { try StateDocument.parse(json(text)) }
            #expect(rejected.problems.map(\.path) == ["$"])
            #expect(rejected.problems.first?.message.contains("must be a JSON object") == true)
        }
    }

    @Test("numbers: exponents and negative zero are integers when exact; fractions are not")
    func numbers() throws {
        let document = try StateDocument.parse(json(#"{"partners": [{"id": "p-1", "billing_day": 2.8e1, "upgrade_delay_days": -0}]}"#))
        #expect(document.counts["partners"] == 1)
        let rejected = try #require(throws: DocumentRejected.self) {
            try StateDocument.parse(json(#"{"partners": [{"id": "p-1", "billing_day": 2.5}]}"#))
        }
        #expect(rejected.problems.map(\.path) == ["$.partners[0].billing_day"])
    }
}
