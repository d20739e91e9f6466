import Foundation
import GRDB
import RolloutStore
import Testing

/// Whether python3 can import the `standardwebhooks` library the receivers verify with.
let pythonReceiverAvailable: Bool = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import standardwebhooks"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}()

/// A real delivery setup for one test: a store in a temporary directory, `rolloutctl` and
/// `rolloutd deliver` as processes, and webhook receivers written in Python with the
/// `standardwebhooks` library (Tests/Integration/webhook-receiver.py).
final class DeliveryLab {
    let directory: TemporaryDirectory
    let config: String
    let store: Store
    private(set) var deliverer: Process?
    private var receivers: [Receiver] = []
    private var delivererRuns = 0

    /// Short timeouts and a fast poll; `delivery` adds or overrides `[delivery]` keys.
    init(delivery: String = "") throws {
        directory = try TemporaryDirectory()
        let database = directory.path("rolloutd.sqlite")
        config = try directory.write("rolloutd.toml", """
            [store]
            path = "\(database)"
            [delivery]
            poll_interval_ms = 20
            connect_timeout_seconds = 1
            \(delivery.contains("request_timeout_seconds") ? "" : "request_timeout_seconds = 2")
            \(delivery.contains("first_retry_seconds") ? "" : "first_retry_seconds = 1")
            \(delivery.contains("max_retry_interval_seconds") ? "" : "max_retry_interval_seconds = 2")
            \(delivery)
            """)
        store = try Store(path: database)
        try store.write { db in
            try db.execute(sql: """
                INSERT INTO partner (id, name, locale) VALUES ('northwind', 'Northwind', 'fr'), ('tailspin', 'Tailspin', 'en');
                INSERT INTO organisation (id, name) VALUES ('contoso', 'Contoso'), ('fabrikam', 'Fabrikam');
                INSERT INTO organisation_partner (organisation_id, partner_id) VALUES ('contoso', 'northwind'), ('fabrikam', 'tailspin');
                """)
        }
    }

    /// Stops every process this lab started and removes its directory.
    func tearDown() {
        stopDeliverer(signal: SIGKILL)
        receivers.forEach { $0.stop() }
        directory.remove()
    }

    // MARK: The outbox

    /// Writes `count` notifications to the outbox as a wake would (partner admins' window_open
    /// by default) and returns their idempotency keys.
    @discardableResult
    func notify(_ count: Int, partner: String? = "northwind", organisation: String? = nil,
                audience: String = "partner_admins", kind: String = "window_open") throws -> [String] {
        try store.write { db in
            let first = (try Int.fetchOne(db, sql: "SELECT count(*) FROM notification") ?? 0) + 1
            return try (first..<(first + count)).map { n in
                let key = "\(kind)|\(partner.map { "partner:\($0)" } ?? "organisation:\(organisation ?? "")")|\(n)"
                try db.execute(sql: """
                    INSERT INTO notification (idempotency_key, kind, audience, partner_id, organisation_id, locale, due_at, emitted_at, late, subject, body)
                    VALUES (?, ?, ?, ?, ?, 'fr', 1800000000, CAST(strftime('%s','now') AS INTEGER), 0, 'Fenêtre ouverte', 'La fenêtre de mise à niveau est ouverte.')
                    """, arguments: [key, kind, audience, partner, organisation])
                return key
            }
        }
    }

    func deliveries(state: String? = nil) throws -> [(id: Int64, key: String, state: String, attempts: Int)] {
        try store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.id, n.idempotency_key, d.state, d.attempts FROM delivery d JOIN notification n ON n.id = d.notification_id
                WHERE ?1 IS NULL OR d.state = ?1 ORDER BY d.id
                """, arguments: [state]).map { ($0["id"], $0["idempotency_key"], $0["state"], $0["attempts"]) }
        }
    }

    func deliveredKeys() throws -> Set<String> { Set(try deliveries(state: "delivered").map(\.key)) }

    // MARK: Processes

    func ctl(_ arguments: String...) throws -> ProcessResult {
        try runProcess(builtExecutable("rolloutctl"), arguments + ["--config", config], in: directory)
    }

    /// `webhook add --json`: the webhook's id and its secret.
    func addWebhook(partner: String = "northwind", org: String? = nil, url: String, kinds: String? = nil) throws -> (id: Int64, secret: String) {
        var arguments = ["webhook", "add", "--partner", partner, "--url", url, "--json"]
        if let org { arguments += ["--org", org] }
        if let kinds { arguments += ["--kinds", kinds] }
        let result = try runProcess(builtExecutable("rolloutctl"), arguments + ["--config", config], in: directory)
        try #require(result.status == 0, "\(result)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return (try #require(object["id"] as? Int).int64, try #require(object["secret"] as? String))
    }

    /// Starts `rolloutd deliver`, its output in files of the lab's directory.
    func startDeliverer() throws {
        delivererRuns += 1
        let process = Process()
        process.executableURL = builtExecutable("rolloutd")
        process.arguments = ["deliver", "--config", config]
        var environment = ProcessInfo.processInfo.environment
        for key in ["STATE_DIRECTORY", "NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID"] { environment[key] = nil }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try Self.file(directory.path("deliverer-\(delivererRuns).out"))
        process.standardError = try Self.file(directory.path("deliverer-\(delivererRuns).err"))
        try process.run()
        deliverer = process
    }

    /// What every run of the deliverer wrote to stderr (its log outside systemd).
    func delivererLog() -> String {
        (1...max(delivererRuns, 1)).map { (try? String(contentsOfFile: directory.path("deliverer-\($0).err"), encoding: .utf8)) ?? "" }
            .joined()
    }

    /// SIGTERM (a clean stop) or SIGKILL (a crash), and waits for the process to end.
    func stopDeliverer(signal: Int32 = SIGTERM) {
        guard let process = deliverer, process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        deliverer = nil
    }

    /// A receiver on 127.0.0.1 that verifies with `secrets` (see webhook-receiver.py).
    func receiver(secrets: [String], port: Int = 0) async throws -> Receiver {
        let receiver = try await Receiver(directory: directory, secrets: secrets, port: port, name: "receiver-\(receivers.count)")
        receivers.append(receiver)
        return receiver
    }

    static func file(_ path: String) throws -> FileHandle {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    /// Polls `condition` every 50 ms until it holds or `seconds` pass; returns whether it held.
    /// It sleeps with `Task.sleep`, never blocking a thread of the pool other tests run on.
    @discardableResult
    static func eventually(within seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try condition()
    }

    /// Waits without blocking a thread.
    static func pause(_ seconds: Double) async throws {
        try await Task.sleep(for: .milliseconds(Int(seconds * 1_000)))
    }
}

/// One Python receiver process; `stop()` and `restart()` take it down and bring it back on the
/// same port (the receiver "down for a while").
final class Receiver {
    struct Entry: Decodable {
        let t: Double
        let path: String
        let id: String
        let signatures: Int
        let verified: [Int]
        let type: String?
        let status: Int
        let content_type: String?
        let complete: Bool
    }

    let directory: TemporaryDirectory
    let secrets: [String]
    let name: String
    let log: String
    let modeFile: String
    private(set) var port: Int
    private var process: Process?

    static let script = packageRoot.appendingPathComponent("Tests/Integration/webhook-receiver.py").path

    init(directory: TemporaryDirectory, secrets: [String], port: Int, name: String) async throws {
        self.directory = directory
        self.secrets = secrets
        self.name = name
        self.port = port
        log = directory.path("\(name).jsonl")
        modeFile = directory.path("\(name).mode")
        try await start()
    }

    func url(_ path: String = "ok") -> String { "http://127.0.0.1:\(port)/\(path)" }

    /// The answer from now on, whatever the path (`status/500`, `slow/5`, `ok`).
    func setMode(_ mode: String?) throws {
        if let mode { try Data((mode + "\n").utf8).write(to: URL(fileURLWithPath: modeFile)) } else { try? FileManager.default.removeItem(atPath: modeFile) }
    }

    func start() async throws {
        let portFile = directory.path("\(name).port")
        try? FileManager.default.removeItem(atPath: portFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "--port", String(port), "--port-file", portFile, "--log", log, "--mode-file", modeFile]
            + secrets.flatMap { ["--secret", $0] }
        process.standardInput = FileHandle.nullDevice
        process.standardError = try DeliveryLab.file(directory.path("\(name).err"))
        try process.run()
        self.process = process
        let started = try await DeliveryLab.eventually(within: 20) { FileManager.default.fileExists(atPath: portFile) }
        try #require(started, "the receiver did not start: \((try? String(contentsOfFile: directory.path("\(name).err"), encoding: .utf8)) ?? "")")
        port = try #require(Int(try String(contentsOfFile: portFile, encoding: .utf8)))
    }

    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    func entries() throws -> [Entry] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Entry.self, from: Data($0.utf8)) }
    }
}

extension Int {
    var int64: Int64 { Int64(self) }
}
