import Testing

@testable import RolloutSystemd

/// DMN-5: metadata keys become journal field names operators can filter on.
@Suite struct JournalFieldNameTests {
    @Test(arguments: [
        ("rollout.partner", "ROLLOUT_PARTNER"),
        ("partner", "PARTNER"),
        ("rollout.org", "ROLLOUT_ORG"),
        ("MESSAGE_ID", "MESSAGE_ID"),
        ("wake-duration_ms", "WAKE_DURATION_MS"),
        ("Already_UPPER_9", "ALREADY_UPPER_9"),
        ("_trusted", "TRUSTED"),
        ("__2fa.code", "FA_CODE"),
        ("9lives", "LIVES"),
        ("_9_x", "X"),
        ("clé", "CL_"),
        ("a b", "A_B"),
    ])
    func sanitises(key: String, expected: String) {
        #expect(JournalFieldName.sanitise(key) == expected)
    }

    @Test func keysWithNothingUsableStillGetAField() {
        #expect(JournalFieldName.sanitise("") == "METADATA")
        #expect(JournalFieldName.sanitise("...") == "METADATA")
        #expect(JournalFieldName.sanitise("_42") == "METADATA")
    }

    @Test func longKeysAreCutTo64Characters() {
        let name = JournalFieldName.sanitise(String(repeating: "ab.", count: 40))
        #expect(name.count == 64)
        #expect(name.hasPrefix("AB_AB_"))
    }

    @Test(arguments: ["rollout.partner", "x", "1.2.3", "_", "ÉÀ", String(repeating: "z", count: 200), "-a-"])
    func resultIsAlwaysAValidJournalFieldName(key: String) {
        let name = JournalFieldName.sanitise(key)
        #expect(!name.isEmpty && name.count <= 64)
        #expect(name.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        #expect(name.first != "_" && !(name.first?.isNumber ?? true))
    }
}
