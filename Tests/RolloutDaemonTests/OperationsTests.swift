import Foundation
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// Operator commands on a realistic multi-partner state: the sample document (three partners,
/// one organisation co-managed, legacy settings, mobile endpoints) with an upgrade programme.
@Suite("Operator commands: status, forecast, history")
struct OperationsTests {
    static let sample = packageRoot.appendingPathComponent("examples/sample-state.json")

    /// A directory with a config, the sample state loaded and the loop run to `until`.
    static func prepared(until: String) throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory()
        let config = try directory.write("rolloutd.toml", "[store]\npath = \"\(directory.path("rolloutd.sqlite"))\"\n")
        let ctl = builtExecutable("rolloutctl")
        for arguments in [
            ["apply", "--config", config, Self.sample.path, "--at", "2026-11-30T00:00:00Z"],
            ["programme", "create", "--config", config, "--partner", "northwind", "--announce", "2026-12-01T16:00:00Z",
             "--window-start", "2027-01-05T16:00:00Z", "--auto-upgrade", "2027-02-02T16:00:00Z", "--at", "2026-11-30T00:00:00Z"],
            ["run", "--config", config, "--from", "2026-11-30T00:00:00Z", "--until", until],
        ] {
            let result = try runProcess(ctl, arguments, in: directory)
            #expect(result.status == 0, "\(arguments): \(result)")
        }
        return (directory, config)
    }

    static func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test("forecast leaves the database byte-for-byte as it was, and prints every upcoming wake")
    func forecastWritesNothing() throws {
        let (directory, config) = try Self.prepared(until: "2026-12-10T00:00:00Z")
        defer { directory.remove() }
        let database = directory.path("rolloutd.sqlite")
        let before = (Self.fileBytes(database), Self.fileBytes(database + "-wal"))
        #expect(before.0 != nil)
        let result = try runProcess(builtExecutable("rolloutctl"), ["forecast", "--config", config, "--days", "60", "--json"], in: directory)
        #expect(result.status == 0, "\(result)")
        let after = (Self.fileBytes(database), Self.fileBytes(database + "-wal") ?? (before.1 == nil ? nil : Data()))
        #expect(after.0 == before.0, "the database file changed")
        #expect(after.1 == before.1 || (before.1 == nil && after.1?.isEmpty == true), "the WAL changed")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let wakes = try #require(json["wakes"] as? [[String: Any]])
        #expect(!wakes.isEmpty)
        #expect(json["days"] is [[String: Any]])
        #expect(result.stderr.isEmpty, "no progress text when stderr is not a terminal: \(result.stderr)")
    }

    @Test("forecast agrees with what run --until then does: same wakes, same decisions")
    func forecastAgreesWithRun() async throws {
        let (directory, config) = try Self.prepared(until: "2026-12-10T00:00:00Z")
        defer { directory.remove() }
        let configuration = try Configuration.load(file: config)
        let store = try Store(path: directory.path("rolloutd.sqlite"))
        let settings = LoopSettings(configuration)
        let now = try #require(try store.processedThrough())
        let forecast = try await Forecast.run(store: store, rules: Rules.all, settings: settings, now: now, days: 75,
                                              partner: nil, organisation: nil)
        #expect(forecast.wakes.count > 20)
        #expect(forecast.wakes.contains { $0.summary["window_opened"] == 1 }, "the window opens within the forecast")
        #expect(try store.processedThrough() == now, "the forecast moved the real cursor")

        let loop = WakeLoop(store: store, rules: Rules.all, clock: VirtualClock(startingAt: now), settings: { settings }, report: { _ in })
        try await loop.run(until: forecast.through)
        let actual = try store.recentWakes(limit: 10_000).filter { $0.at > now }.sorted { $0.at < $1.at }
        #expect(actual.map(\.at) == forecast.wakes.map(\.at))
        #expect(actual.map(\.decisions) == forecast.wakes.map(\.summary))
    }

    @Test("forecast narrowed to an organisation shows only its decisions and notifications")
    func forecastFilter() async throws {
        let (directory, config) = try Self.prepared(until: "2026-12-10T00:00:00Z")
        defer { directory.remove() }
        let store = try Store(path: directory.path("rolloutd.sqlite"))
        let settings = LoopSettings(try Configuration.load(file: config))
        let now = try #require(try store.processedThrough())
        let all = try await Forecast.run(store: store, rules: Rules.all, settings: settings, now: now, days: 40, partner: nil, organisation: nil)
        let one = try await Forecast.run(store: store, rules: Rules.all, settings: settings, now: now, days: 40, partner: nil, organisation: "contoso")
        let total = { (forecast: Forecast) in forecast.wakes.flatMap { $0.decisions.values }.reduce(0, +) }
        #expect(total(one) > 0)
        #expect(total(one) < total(all))
    }

    @Test("status: exit 3 with the lag when the schedule is behind the clock, 0 when it is not")
    func statusBehind() throws {
        // Relative to the real clock, which status reads.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("rolloutd.toml", "[store]\npath = \"\(directory.path("rolloutd.sqlite"))\"\n")
        let ctl = builtExecutable("rolloutctl")
        let from = Instant.format(Date().addingTimeInterval(-30 * 86_400))
        let until = Date().addingTimeInterval(-5 * 86_400)
        #expect(try runProcess(ctl, ["apply", "--config", config, Self.sample.path], in: directory).status == 0)
        #expect(try runProcess(ctl, ["run", "--config", config, "--from", from, "--until", Instant.format(until)], in: directory).status == 0)
        let behind = try runProcess(ctl, ["status", "--config", config, "--json"], in: directory)
        #expect(behind.status == 3, "\(behind)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(behind.stdout.utf8)) as? [String: Any])
        #expect(report["behind"] as? Bool == true)
        #expect((report["lag_seconds"] as? Int ?? 0) > 0)
        #expect((report["next_wake"] as? [String: Any])?["at"] is String)
        let lastWake = try #require(Instant.parse((report["last_wake"] as? [String: Any])?["at"] as? String ?? ""))
        #expect(lastWake <= until && lastWake > until.addingTimeInterval(-5 * 86_400))

        let ahead = Instant.format(Date().addingTimeInterval(3 * 86_400))
        #expect(try runProcess(ctl, ["run", "--config", config, "--until", ahead], in: directory).status == 0)
        let onTime = try runProcess(ctl, ["status", "--config", config], in: directory)
        #expect(onTime.status == 0, "\(onTime)")
        #expect(onTime.stdout.contains("on schedule"))
    }

    @Test("status lists pending changes with their apply-by instants")
    func statusPendingChanges() throws {
        let (directory, config) = try Self.prepared(until: "2026-12-10T00:00:00Z")
        defer { directory.remove() }
        let ctl = builtExecutable("rolloutctl")
        let request = try runProcess(ctl, ["schedule", "set", "--config", config, "--partner", "northwind", "--org", "fabrikam",
                                           "--cadence", "automatic", "--at", "2026-12-10T20:00:00Z"], in: directory)
        #expect(request.status == 0, "\(request)")
        let status = try runProcess(ctl, ["status", "--config", config, "--json"], in: directory)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let changes = try #require(report["pending_changes"] as? [[String: Any]])
        #expect(changes.count == 1)
        #expect(changes.first?["subject"] as? String == "organisation:fabrikam")
        #expect(changes.first?["apply_by"] as? String == "2026-12-11T16:00:00Z")
    }

    @Test("history: every decision about a subject with its rule and before → after, and its notifications")
    func history() throws {
        let (directory, config) = try Self.prepared(until: "2026-12-10T00:00:00Z")
        defer { directory.remove() }
        let ctl = builtExecutable("rolloutctl")
        let endpoint = try runProcess(ctl, ["history", "--config", config, "--endpoint", "contoso-e1", "--json"], in: directory)
        #expect(endpoint.status == 0, "\(endpoint)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(endpoint.stdout.utf8)) as? [[String: Any]])
        let decisions = entries.filter { $0["type"] as? String == "decision" }
        #expect(decisions.contains { $0["rule"] as? String == "CAD-2" && $0["after"] as? String == "45.11.0" })
        #expect(entries.contains { $0["type"] as? String == "notification" && $0["rule"] as? String == "update_available" })
        let times = entries.compactMap { $0["at"] as? String }
        #expect(times == times.sorted(), "oldest first")

        let partner = try runProcess(ctl, ["history", "--config", config, "--partner", "northwind"], in: directory)
        #expect(partner.status == 0)
        #expect(partner.stdout.contains("UPG-2"), "the announcement is in the partner's history: \(partner.stdout)")
        let refused = try runProcess(ctl, ["history", "--config", config, "--org", "contoso", "--partner", "northwind"], in: directory)
        #expect(refused.status == 64, "exactly one subject")
    }
}
