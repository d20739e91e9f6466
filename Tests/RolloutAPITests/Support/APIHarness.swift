import Foundation
import GRDB
import Logging
import RolloutAPI
import RolloutCore
import RolloutDaemon
import RolloutStore
import RolloutEngine
import Synchronization

/// A real `rolloutd serve` in this process: a fresh SQLite database loaded with the sample
/// state (examples/sample-state.json, with distributors), real tokens of every role, the API on a
/// loopback port the system picked, and a clock the test sets. The inbox drains when the test
/// says (`server.drainInbox()`), not in the background.
final class APIHarness: Sendable {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let start = Instant.parse("2026-11-24T12:00:00Z")!

    let directory: URL
    let store: Store
    let databasePath: String
    let server: APIServer
    let port: Int
    /// Token secrets by fixture name (see `tokenSpecs`).
    let tokens: [String: String]
    private let clock: Box<Date>
    private let task: Task<Void, any Error>

    /// name → (role, partner, organisation, distributor). `expired` expires an hour after the
    /// start; `revoked` is revoked before the server starts.
    static let tokenSpecs: [(name: String, role: TokenRole, partner: String?, organisation: String?, distributor: String?)] = [
        ("partner", .partner, "northwind", nil, nil),
        ("otherPartner", .partner, "bleu", nil, nil),
        ("customer", .customer, nil, "contoso", nil),
        ("otherCustomer", .customer, nil, "fabrikam", nil),
        ("agent", .agent, nil, "contoso", nil),
        ("otherAgent", .agent, nil, "lamna", nil),
        ("distributor", .distributor, nil, nil, "northwind-dist"),
        ("otherDistributor", .distributor, nil, nil, "bleu-dist"),
        ("expired", .partner, "northwind", nil, nil),
        ("revoked", .partner, "northwind", nil, nil),
    ]

    private init(directory: URL, store: Store, databasePath: String, server: APIServer, port: Int, tokens: [String: String],
                 clock: Box<Date>, task: Task<Void, any Error>) {
        self.directory = directory
        self.store = store
        self.databasePath = databasePath
        self.server = server
        self.port = port
        self.tokens = tokens
        self.clock = clock
        self.task = task
    }

    static func launch(configuration extra: String = "", state: Data? = nil) async throws -> APIHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rolloutd-api-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let databasePath = directory.appendingPathComponent("rolloutd.sqlite").path
        let configPath = directory.appendingPathComponent("rolloutd.toml").path
        try Data("[store]\npath = \"\(databasePath)\"\n\(extra)\n".utf8).write(to: URL(fileURLWithPath: configPath))
        let configuration = try Configuration.load(file: configPath)
        let store = try Store(path: databasePath, busyTimeout: 2)
        _ = try store.apply(try state ?? sampleState(), at: start.addingTimeInterval(-86_400))
        var tokens: [String: String] = [:]
        for spec in tokenSpecs {
            let created = try store.createToken(name: spec.name, role: spec.role, partner: spec.partner, organisation: spec.organisation,
                                                distributor: spec.distributor,
                                                expiresAt: spec.name == "expired" ? start.addingTimeInterval(3_600) : nil,
                                                at: start.addingTimeInterval(-7_200))
            tokens[spec.name] = created.secret
            if spec.name == "revoked" { _ = try store.revokeToken(id: created.token.id, at: start.addingTimeInterval(-3_600)) }
        }
        let clock = Box(start.addingTimeInterval(7_200))
        var logger = Logger(label: "rolloutd-api-tests")
        logger.logLevel = .critical
        let server = try APIServer(configuration: configuration, store: store,
                                   inboxPath: directory.appendingPathComponent("inbox.sqlite").path, port: 0,
                                   drainInterval: .seconds(3_600), logger: logger,
                                   now: { clock.value })
        let bound = Box<Int?>(nil)
        let task = Task { try await server.run { port in bound.value = port } }
        for _ in 0..<500 where bound.value == nil { try await Task.sleep(for: .milliseconds(10)) }
        guard let port = bound.value else { throw RawHTTP.Failure(description: "the API did not start") }
        return APIHarness(directory: directory, store: store, databasePath: databasePath, server: server, port: port, tokens: tokens,
                          clock: clock, task: task)
    }

    /// The sample state with a distributor for northwind and one for bleu.
    static func sampleState() throws -> Data {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("examples/sample-state.json"))
        var document = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        var partners = document["partners"] as! [[String: Any]]
        for index in partners.indices {
            partners[index]["distributors"] = ["\(partners[index]["id"]!)-dist"]
        }
        document["partners"] = partners
        return try JSONSerialization.data(withJSONObject: document)
    }

    /// Runs `body` against a fresh server and stops it afterwards, whether `body` threw or not.
    static func with(configuration: String = "", _ body: (APIHarness) async throws -> Void) async throws {
        let harness = try await launch(configuration: configuration)
        do {
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    var now: Date { clock.value }

    func advance(to instant: Date) { clock.value = instant }

    func stop() async {
        task.cancel()
        _ = try? await task.value
        try? FileManager.default.removeItem(at: directory)
    }

    /// A JSON request with the named fixture token (nil: none; a string that is not a fixture
    /// name is sent as is).
    func call(_ method: String, _ path: String, as token: String?, body: String? = nil,
              headers extra: [String: String] = [:]) async throws -> HTTPResult {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(tokens[token] ?? token)\r\n" }
        let bytes = Data((body ?? "").utf8)
        if body != nil { head += "Content-Type: application/json\r\nContent-Length: \(bytes.count)\r\n" }
        for (name, value) in extra { head += "\(name): \(value)\r\n" }
        return try await RawHTTP.exchange(port: port, head: head + "\r\n", body: bytes)
    }

    /// Counts rows, for "nothing was written" checks.
    func count(_ table: String, where condition: String = "1") throws -> Int {
        try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE \(condition)") ?? 0 }
    }

    /// Every row of every table but the tokens (whose last use the API records): equal before and
    /// after means a request wrote nothing.
    func snapshot() throws -> [String: [String]] {
        try store.read { db in
            var tables: [String: [String]] = [:]
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            where table != "api_token" {
                tables[table] = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map(\.description)
            }
            return tables
        }
    }
}

/// A value shared between the test and the server's tasks.
final class Box<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    var value: Value {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }
}
