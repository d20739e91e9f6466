import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
#if canImport(Glibc)
import Glibc
#endif

// The issue #8 table: each case at 1,000,000 endpoints, rolloutd against plain set-based SQL
// doing the same writes on a copy of the same database, in the same run, median of `--runs`.
// Run through `scripts/bench` (which builds this in release mode); see README.md, "Benchmarks".

struct Options {
    var cache = "Benchmarks/.fleet"
    var runs = 3
    var idleSeconds = 90
    var rolloutd = ""
    var rolloutctl = ""
    var only: Set<String> = []

    init(_ arguments: [String]) throws {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            func value() throws -> String {
                guard let value = iterator.next() else { throw BenchError("\(argument) needs a value") }
                return value
            }
            switch argument {
            case "--cache": cache = try value()
            case "--runs": runs = max(1, Int(try value()) ?? 3)
            case "--idle-seconds": idleSeconds = max(10, Int(try value()) ?? 90)
            case "--rolloutd": rolloutd = try value()
            case "--rolloutctl": rolloutctl = try value()
            case "--only": only = Set(try value().split(separator: ",").map(String.init))
            default: throw BenchError("unknown option \(argument); options: --cache DIR --runs N --idle-seconds S --rolloutd PATH --rolloutctl PATH --only CASE,…")
            }
        }
    }

    func wants(_ name: String) -> Bool { only.isEmpty || only.contains(name) }
}

struct TableRow {
    var label: String
    /// Per run: the case's time (all its wakes together).
    var rolloutd: [Double]
    var reference: [Double] = []
    var note = ""
    /// Per run, the longest single wake, where it differs from the case's time (a retarget over
    /// `retargets_per_wake` continues in further wakes).
    var longestWake: [Double] = []
}

func log(_ text: String) {
    FileHandle.standardError.write(Data("[bench] \(text)\n".utf8))
}

let options = try Options(CommandLine.arguments)
// Keyed by the generator and the schema: a fleet built by another build is never measured.
let cache = URL(fileURLWithPath: options.cache).appendingPathComponent("\(Fleet.generatorVersion)-schema\(Store.latestSchemaVersion)").path
let work = URL(fileURLWithPath: options.cache).appendingPathComponent("work").path
try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
let basePath = "\(cache)/base.sqlite"
let programmePath = "\(cache)/programme.sqlite"
let documentPath = "\(cache)/fleet.json"
let emptyPath = "\(cache)/empty.sqlite"
let context = Fleet.context
let boundaries = Fleet.boundaries

// MARK: The cached fleet

func cached(_ path: String, _ what: String, build: (String) throws -> Void) throws {
    guard !FileManager.default.fileExists(atPath: path) else { return }
    log("building \(what) once (cached in \(path))…")
    let partial = path + ".partial"
    removeDatabase(partial)
    let elapsed = try seconds { try build(partial) }
    removeDatabase(path)
    try FileManager.default.moveItem(atPath: partial, toPath: path)
    log("built \(what) in \(formatSeconds(elapsed))")
}

try cached(basePath, "the 1M-endpoint fleet") { try Fleet.build(at: $0) }
try cached(documentPath, "the fleet's state document") { try Fleet.exportDocument(from: basePath, to: $0) }
try cached(emptyPath, "an empty database") { path in _ = try Store(path: path) }

// MARK: Cases

/// A wake on a fresh copy of `base` after `prepare` and untimed `setup` wakes, against the
/// reference on another fresh copy, `options.runs` times each.
func wakeCase(_ label: String, prepare: (Database) throws -> Void = { _ in }, setup: [Wake] = [], wake: Wake,
              reference: (Database) throws -> Void) throws -> TableRow {
    log("\(label)…")
    let caseBase = "\(work)/case.sqlite"
    try copyDatabase(basePath, to: caseBase)
    do {
        let store = try Store(path: caseBase)
        try store.write(prepare)
        for wake in setup { _ = try store.process(wake, rules: Rules.all, context: context, late: false) }
        try store.checkpoint()
    }
    var row = TableRow(label: label, rolloutd: [])
    var counts = ""
    for _ in 0..<options.runs {
        let copy = "\(work)/run.sqlite"
        try copyDatabase(caseBase, to: copy)
        do {
            // The wake, then the wakes that continue its retarget (`retarget_continued`), as the
            // daemon's loop would run them at once, one second apart.
            let store = try Store(path: copy)
            var next: Wake? = wake
            var times: [Double] = []
            var decisions: [String: Int] = [:]
            var notifications = 0
            while let current = next {
                var outcome: WakeOutcome?
                times.append(try seconds { outcome = try store.process(current, rules: Rules.all, context: context, late: false) })
                if case .processed(let summary)? = outcome {
                    decisions.merge(summary.decisions) { $0 + $1 }
                    notifications += summary.notifications
                }
                next = try store.nextWake(rules: Rules.all, context: context).flatMap { candidate in
                    candidate.reasons.contains { $0.kind == "retarget_continued" } ? candidate : nil
                }
            }
            row.rolloutd.append(times.reduce(0, +))
            row.longestWake.append(times.max() ?? 0)
            counts = decisions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + (notifications > 0 ? ", notifications \(notifications)" : "")
                + (times.count > 1 ? "; \(times.count) wakes, longest \(formatSeconds(times.max() ?? 0))" : "")
        }
        try copyDatabase(caseBase, to: copy)
        do {
            var configuration = GRDB.Configuration()
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            let pool = try DatabasePool(path: copy, configuration: configuration)
            row.reference.append(try seconds { try pool.writeWithoutTransaction { db in try db.inTransaction(.immediate) { try reference(db); return .commit } } })
        }
        removeDatabase(copy)
    }
    removeDatabase(caseBase)
    row.note = counts.isEmpty ? "nothing decided" : counts
    return row
}

/// What every wake must write at the least: its log row and the cursor.
func referenceWakeLog(_ db: Database, at: Date) throws {
    try db.execute(sql: "INSERT INTO wake (at, reasons, processed_at, duration_us, late, summary) VALUES (?, 'boundary', 0, 0, 0, '{}')",
                   arguments: [Instant.seconds(at)])
    try db.execute(sql: "UPDATE clock SET processed_through = ? WHERE id = 1", arguments: [Instant.seconds(at)])
}

/// The text a notification of `kind` carries, as plain SQL writes it: the template in each
/// language with the wake's constants filled in Swift, and `column` (the one per-row value,
/// e.g. `o.name`) concatenated where `placeholder` goes, chosen by `locale`.
func referenceText(_ kind: NotificationKind, locale: String, constants: [Language: [String: String]], placeholder: String,
                   column: String) -> (subject: String, body: String) {
    let marker = "\u{1}"
    func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
    func expression(_ text: String) -> String {
        text.components(separatedBy: marker).map(literal).joined(separator: " || \(column) || ")
    }
    var subject = "CASE \(locale)", body = "CASE \(locale)"
    for language in Language.allCases {
        let text = NotificationTemplates.render(kind, language, values: constants[language, default: [:]].merging([placeholder: marker]) { $1 })
        subject += " WHEN '\(language.rawValue)' THEN \(expression(text.subject))"
        body += " WHEN '\(language.rawValue)' THEN \(expression(text.body))"
    }
    return (subject + " END", body + " END")
}

/// Plain SQL retargeting: the endpoints of the given schedule (every schedule when nil) that
/// the new release moves, their targets, decisions and update-available notifications. It
/// writes the rows rolloutd writes (typed decision values, the notification's key and text in
/// the partner's language), so the ratio measures the engine, not a lighter row.
func referenceRetarget(_ db: Database, schedule: Schedule?, to version: Version, at: Date) throws {
    let filter = schedule.map { "o.effective_cadence = '\($0.cadence.rawValue)' AND o.effective_defer_weeks = \($0.deferralWeeks) AND" } ?? ""
    let seconds = Instant.seconds(at)
    try db.execute(sql: """
        CREATE TEMP TABLE t AS SELECT e.id, e.organisation_id, e.user_id, e.target_version AS old FROM endpoint e
        JOIN organisation o ON o.id = e.organisation_id LEFT JOIN user u ON u.id = e.user_id
        WHERE \(filter) e.platform IN ('windows','macos','linux') AND coalesce(u.automatic_upgrades, 'inherit') <> 'off'
          AND e.installed_version_key < ?1 AND e.target_version_key IS NOT ?1
        """, arguments: [version.sortKey])
    try db.execute(sql: "UPDATE endpoint SET target_version = ?, target_version_key = ?, target_set_at = ? WHERE id IN (SELECT id FROM temp.t)",
                   arguments: [version.description, version.sortKey, seconds])
    try db.execute(sql: """
        INSERT INTO decision (wake_at, rule, kind, subject_kind, subject_id, organisation_id, before, after, before_value, after_value)
        SELECT ?1, 'CAD-2', 'target_version', 'endpoint', id, organisation_id, old, ?2, json_object('version', old), json_object('version', ?2)
        FROM temp.t
        """, arguments: [seconds, version.description])
    let constants = Dictionary(uniqueKeysWithValues: Language.allCases.map { language in
        (language, ["version": version.description, "date": NotificationDates.format(at, language, calendar: Fleet.calendar)])
    })
    let text = referenceText(.updateAvailable, locale: "p.locale", constants: constants, placeholder: "organisation", column: "o.name")
    try db.execute(sql: """
        INSERT INTO notification (idempotency_key, kind, audience, partner_id, organisation_id, user_id, endpoint_id, locale, due_at,
                                  emitted_at, late, subject, body)
        SELECT 'update_available|endpoint:' || t.id || '|version:' || ?1, 'update_available', 'end_user', op.partner_id, t.organisation_id,
               t.user_id, t.id, p.locale, ?2, ?2, 0, \(text.subject), \(text.body)
        FROM temp.t t JOIN organisation o ON o.id = t.organisation_id JOIN organisation_partner op ON op.organisation_id = t.organisation_id
        JOIN partner p ON p.id = op.partner_id WHERE t.user_id IS NOT NULL
        """, arguments: [version.description, seconds])
    try referenceWakeLog(db, at: at)
}

/// Plain SQL trigger: every pending endpoint due is told, with a deadline a week later.
func referenceTrigger(_ db: Database, at: Date) throws {
    let seconds = Instant.seconds(at)
    let deadline = Fleet.calendar.adding(days: 7, to: at)
    try db.execute(sql: """
        CREATE TEMP TABLE t AS SELECT e.id, e.organisation_id, e.user_id, o.upgrade_partner_id AS partner_id FROM endpoint e
        JOIN organisation o ON o.id = e.organisation_id WHERE e.upgrade_state = 'pending' AND e.upgrade_at <= ?
        """, arguments: [seconds])
    try db.execute(sql: """
        UPDATE endpoint SET upgrade_state = 'notified', upgrade_state_at = ?1, triggered_at = upgrade_at, upgrade_at = NULL,
               deferral_deadline = ?2, next_reminder_at = NULL WHERE id IN (SELECT id FROM temp.t)
        """, arguments: [seconds, Instant.seconds(deadline)])
    try db.execute(sql: """
        INSERT INTO decision (wake_at, rule, kind, subject_kind, subject_id, partner_id, organisation_id, before, after, before_value, after_value)
        SELECT ?, 'UPG-6', 'endpoint_upgrade', 'endpoint', id, partner_id, organisation_id, 'pending', 'notified',
               json_object('upgrade_state', 'pending'), json_object('upgrade_state', 'notified')
        FROM temp.t
        """, arguments: [seconds])
    let constants = Dictionary(uniqueKeysWithValues: Language.allCases.map { language in
        (language, ["deadline": NotificationDates.format(deadline, language, calendar: Fleet.calendar)])
    })
    let text = referenceText(.endpointUpgradeAvailable, locale: "coalesce(p.locale, 'en')", constants: constants, placeholder: "endpoint", column: "t.id")
    try db.execute(sql: """
        INSERT INTO notification (idempotency_key, kind, audience, partner_id, organisation_id, user_id, endpoint_id, locale, due_at,
                                  emitted_at, late, subject, body)
        SELECT 'endpoint_upgrade_available|endpoint:' || t.id || '|' || ?1, 'endpoint_upgrade_available', 'end_user', t.partner_id,
               t.organisation_id, t.user_id, t.id, coalesce(p.locale, 'en'), ?1, ?1, 0, \(text.subject), \(text.body)
        FROM temp.t t LEFT JOIN partner p ON p.id = t.partner_id
        """, arguments: [seconds])
    try referenceWakeLog(db, at: at)
}

var rows: [TableRow] = []
let newRelease = Version("45.13.0")!
let boundary = Wake(at: boundaries[0], reasons: [.boundary])
let effective = Wake(at: boundaries[0], reasons: [.boundary, WakeReason(kind: "release_effective")])

if options.wants("idle-boundary") {
    rows.append(try wakeCase("boundary wake with nothing to change", wake: boundary) { db in
        try referenceWakeLog(db, at: boundaries[0])
    })
}
if options.wants("retarget-1") {
    // 45.13 a week before the boundary: effective now under latest +1w (partner p0, 1 %).
    rows.append(try wakeCase("retarget 1 % (latest +1w) + notifications", prepare: { db in
        try Fleet.addRelease(db, newRelease, automatic: Fleet.calendar.adding(weeks: -1, to: boundaries[0]), critical: false)
    }, wake: effective) { db in
        try referenceRetarget(db, schedule: Schedule(stored: .latest, deferralWeeks: 1), to: newRelease, at: boundaries[0])
    })
}
if options.wants("retarget-10") {
    // 45.13 two weeks before: latest +1w took it at an earlier (untimed) wake; now latest +2w (10 %).
    let automatic = Fleet.calendar.adding(weeks: -2, to: boundaries[0])
    rows.append(try wakeCase("retarget 10 % (latest +2w) + notifications", prepare: { db in
        try Fleet.addRelease(db, newRelease, automatic: automatic, critical: false)
    }, setup: [Wake(at: Fleet.cursor.addingTimeInterval(1), reasons: [WakeReason(kind: "release_effective")])], wake: effective) { db in
        try referenceRetarget(db, schedule: Schedule(stored: .latest, deferralWeeks: 2), to: newRelease, at: boundaries[0])
    })
}
if options.wants("critical") {
    rows.append(try wakeCase("critical release, retarget every desktop endpoint", prepare: { db in
        try Fleet.addRelease(db, newRelease, automatic: boundaries[0], critical: true)
    }, wake: effective) { db in
        try referenceRetarget(db, schedule: nil, to: newRelease, at: boundaries[0])
    })
}
if options.wants("trigger") {
    rows.append(try wakeCase("trigger the automatic endpoint upgrades",
                             wake: Wake(at: Fleet.trigger, reasons: [WakeReason(kind: "endpoint_upgrade")])) { db in
        try referenceTrigger(db, at: Fleet.trigger)
    })
}
/// The fleet with every partner in a running programme, after its first boundary (cached).
func programmeFleet() throws -> String {
    try cached(programmePath, "the fleet with every partner in a running programme") { path in
        try copyDatabase(basePath, to: path)
        let store = try Store(path: path)
        try store.write(Fleet.startProgrammes)
        _ = try store.process(boundary, rules: Rules.all, context: context, late: false)
        try store.checkpoint()
    }
    return programmePath
}

if options.wants("programme") {
    let fleet = try programmeFleet()
    log("every boundary while programmes have legacy organisations left…")
    let copy = "\(work)/programme.sqlite"
    try copyDatabase(fleet, to: copy)
    var row = TableRow(label: "every boundary while programmes have legacy organisations left", rolloutd: [])
    do {
        let store = try Store(path: copy)
        for at in boundaries.dropFirst().prefix(options.runs) {
            var held = 0
            row.rolloutd.append(try seconds {
                if case .processed(let summary) = try store.process(Wake(at: at, reasons: [.boundary]), rules: Rules.all, context: context, late: false) {
                    held = summary.decisions["organisation_held"] ?? 0
                }
            })
            row.note = "\(held) organisations held (UPG-7)"
        }
    }
    removeDatabase(copy)
    rows.append(row)
}

// MARK: Processes: apply, idle daemon

func configuration(database: String, at path: String) throws {
    try "[store]\npath = \"\(database)\"\n".write(toFile: path, atomically: true, encoding: .utf8)
}

var applyRow: TableRow?
if options.wants("apply") {
    guard FileManager.default.isExecutableFile(atPath: options.rolloutctl) else { throw BenchError("--rolloutctl PATH is needed for apply") }
    log("apply of the 1M document…")
    let reference = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("reference/apply_executemany.py").path
    var row = TableRow(label: "apply of the 1M document", rolloutd: [])
    var peak = 0, referencePeak = 0
    for _ in 0..<options.runs {
        let database = "\(work)/apply.sqlite", config = "\(work)/apply.toml"
        try copyDatabase(emptyPath, to: database)
        try configuration(database: database, at: config)
        let run = try runMeasured([options.rolloutctl, "apply", "--config", config, documentPath], log: "\(work)/apply.log")
        guard run.status == 0 else { throw BenchError("rolloutctl apply exited \(run.status); see \(work)/apply.log") }
        row.rolloutd.append(run.seconds)
        peak = max(peak, run.peakRSSBytes)
        try copyDatabase(emptyPath, to: database)
        let python = try runMeasured(["/usr/bin/python3", reference, database, documentPath], log: "\(work)/apply-reference.log")
        guard python.status == 0 else { throw BenchError("the python reference exited \(python.status); see \(work)/apply-reference.log") }
        row.reference.append(python.seconds)
        referencePeak = max(referencePeak, python.peakRSSBytes)
        removeDatabase(database)
    }
    row.note = "peak RSS \(formatBytes(peak)) (python \(formatBytes(referencePeak)))"
    applyRow = row
    rows.append(row)
}

if options.wants("idle") {
    guard FileManager.default.isExecutableFile(atPath: options.rolloutd) else { throw BenchError("--rolloutd PATH is needed for idle") }
    // On the programme fleet: its STATUS= line carries the programmes' progress (UPG-8).
    let fleet = try programmeFleet()
    log("idle daemon for \(options.idleSeconds) s while another process writes every 5 s…")
    let database = "\(work)/idle.sqlite", config = "\(work)/idle.toml"
    try copyDatabase(fleet, to: database)
    let now = Date()
    do {
        // Nothing due: the cursor is now and the pending upgrades are a year away.
        let queue = try DatabaseQueue(path: database)
        try queue.write { db in
            try db.execute(sql: "UPDATE clock SET processed_through = ?", arguments: [Instant.seconds(now)])
            try db.execute(sql: "UPDATE endpoint SET upgrade_at = ? WHERE upgrade_at IS NOT NULL",
                           arguments: [Instant.seconds(now) + 365 * 86_400])
        }
    }
    try configuration(database: database, at: config)
    let pid = try spawn([options.rolloutd, "--config", config], log: "\(work)/idle.log")
    defer {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        removeDatabase(database)
    }
    sleep(10)
    let writer = try DatabasePool(path: database)
    let before = try cpuSeconds(of: pid)
    let started = Date()
    var writes = 0
    while Date().timeIntervalSince(started) < Double(options.idleSeconds) {
        try writer.write { db in
            try db.execute(sql: "UPDATE endpoint SET last_check_in = ? WHERE id = ?",
                           arguments: [Instant.seconds(Date()), "e\(Int.random(in: 0..<1_000_000))"])
        }
        writes += 1
        sleep(5)
    }
    let used = try cpuSeconds(of: pid) - before
    let elapsed = Date().timeIntervalSince(started)
    rows.append(TableRow(label: "daemon idle while another process writes every 5 s", rolloutd: [used / elapsed * 3_600],
                         note: String(format: "CPU-s per hour (%.1f CPU-s in %.0f s, %d writes)", used, elapsed, writes)))
}

// MARK: The table

print("")
print("rolloutd engine benchmark — \(Fleet.organisations * Fleet.endpointsPerOrganisation) endpoints, \(Fleet.organisations) organisations, "
      + "median of \(options.runs) (\(Fleet.generatorVersion), \(ProcessInfo.processInfo.activeProcessorCount) cores)")
print("")
print("| case | rolloutd | plain SQL | ratio | runs (rolloutd / plain) | detail |")
print("|---|---|---|---|---|---|")
var slowest = 0.0
for row in rows {
    let idle = row.label.hasPrefix("daemon idle")
    let ours = median(row.rolloutd)
    let theirs = row.reference.isEmpty ? Double.nan : median(row.reference)
    if !idle && row.label != applyRow?.label { slowest = max(slowest, (row.longestWake.isEmpty ? row.rolloutd : row.longestWake).max() ?? 0) }
    let ratio = theirs.isNaN || theirs == 0 ? "–" : String(format: "%.2f×", ours / theirs)
    let runs = row.rolloutd.map { idle ? String(format: "%.1f", $0) : formatSeconds($0) }.joined(separator: ", ")
        + (row.reference.isEmpty ? "" : " / " + row.reference.map(formatSeconds).joined(separator: ", "))
    print("| \(row.label) | \(idle ? String(format: "%.1f CPU-s/h", ours) : formatSeconds(ours)) | \(formatSeconds(theirs)) | \(ratio) | \(runs) | \(row.note) |")
}
print("")
print("slowest wake measured: \(formatSeconds(slowest))")
