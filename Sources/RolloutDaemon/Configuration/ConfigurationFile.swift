import Foundation
import Logging
import RolloutCore
import TOMLKit

extension Configuration {
    /// The file both executables read unless `--config` says otherwise (the unit's `ConfigurationDirectory=`).
    public static let defaultPath = "/etc/rolloutd/rolloutd.toml"

    /// Reads and validates a TOML configuration file. Strict, so that a typo never silently
    /// falls back to a default: an unknown table or key, a wrong type, an out-of-range value
    /// or an unknown zone is an error naming the file, the key and the reason (DMN-7).
    public static func load(file: String) throws(ConfigurationError) -> Configuration {
        try checkOwnership(file)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigurationError(file: file, key: nil, reason: "cannot read the file: \(FileProblem.reason(reading: file))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: file, key: nil, reason: "the file is not UTF-8 text")
        }
        return try parse(text, file: file)
    }

    /// The file decides where the database lives: like sshd's StrictModes, refuse one that
    /// anybody may write, or that belongs to a user other than root or the one running.
    static func checkOwnership(_ file: String) throws(ConfigurationError) {
        var info = stat()
        guard stat(file, &info) == 0 else { return }
        if info.st_mode & S_IWOTH != 0 {
            throw ConfigurationError(file: file, key: nil, reason: "the file is world-writable (mode \(String(info.st_mode & 0o7777, radix: 8))): anybody could point the daemon at another database; run `chmod o-w \(file)`")
        }
        if info.st_uid != 0 && info.st_uid != geteuid() {
            throw ConfigurationError(file: file, key: nil, reason: "the file is owned by uid \(info.st_uid), neither root nor the user running (uid \(geteuid())): run `chown root \(file)`")
        }
    }

    /// Parses configuration text; `file` names the source in errors.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> Configuration {
        // The TOML parser stops at a NUL byte: whatever follows would be ignored without a word.
        if let nul = text.firstIndex(of: "\u{0}") {
            let line = text[..<nul].split(separator: "\n", omittingEmptySubsequences: false).count
            throw ConfigurationError(file: file, key: nil, reason: "the file contains a NUL byte (line \(line)); it is not a text file")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(
                file: file, key: nil,
                reason: "TOML syntax error at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        } catch {
            throw ConfigurationError(file: file, key: nil, reason: "TOML syntax error: \(error)")
        }
        var reader = Reader(file: file)
        return try reader.configuration(from: table)
    }
}

/// Walks the parsed TOML, consuming each known key once and rejecting the rest.
private struct Reader {
    let file: String

    mutating func configuration(from root: TOMLTable) throws(ConfigurationError) -> Configuration {
        var configuration = Configuration()
        try rejectUnknown(in: root, prefix: nil, known: ["store", "daemon", "calendar", "releases", "upgrades", "delivery", "api"])

        if let store = try table(root, "store") {
            try rejectUnknown(in: store, prefix: "store", known: ["path", "busy_timeout_ms"])
            if let path = try string(store, "store.path") {
                guard !path.isEmpty else { throw error("store.path", "must not be empty") }
                configuration.store.path = path.hasPrefix("/") ? path : relativeToFile(path)
            }
            configuration.store.busyTimeoutMilliseconds =
                try int(store, "store.busy_timeout_ms", in: 0...600_000) ?? configuration.store.busyTimeoutMilliseconds
        }

        if let daemon = try table(root, "daemon") {
            try rejectUnknown(in: daemon, prefix: "daemon", known: ["poll_interval_seconds", "log_level", "retargets_per_wake"])
            configuration.daemon.pollIntervalSeconds =
                try int(daemon, "daemon.poll_interval_seconds", in: 1...3_600) ?? configuration.daemon.pollIntervalSeconds
            configuration.daemon.retargetsPerWake =
                try int(daemon, "daemon.retargets_per_wake", in: 100...10_000_000) ?? configuration.daemon.retargetsPerWake
            if let level = try string(daemon, "daemon.log_level") {
                guard let parsed = Logger.Level(rawValue: level) else {
                    let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                    throw error("daemon.log_level", "unknown level '\(level)'; expected one of \(names)")
                }
                configuration.daemon.logLevel = parsed
            }
        }

        if let calendar = try table(root, "calendar") {
            try rejectUnknown(
                in: calendar, prefix: "calendar",
                known: ["zone", "boundary_hour", "boundary_minute", "weekdays", "us_federal_holidays", "add_holidays", "remove_holidays"])
            if let zone = try string(calendar, "calendar.zone") {
                // Foundation also accepts made-up names such as "UTC+5" (a fixed offset that is not a
                // zone); only names of the IANA database, whose rules include DST, are zones.
                guard TimeZone.knownTimeZoneIdentifiers.contains(zone) || zone == "UTC", let timeZone = TimeZone(identifier: zone) else {
                    throw error("calendar.zone", "unknown time zone '\(zone)'; use an IANA name such as America/Los_Angeles")
                }
                configuration.calendar.zone = timeZone
            }
            configuration.calendar.boundaryHour =
                try int(calendar, "calendar.boundary_hour", in: 0...23) ?? configuration.calendar.boundaryHour
            configuration.calendar.boundaryMinute =
                try int(calendar, "calendar.boundary_minute", in: 0...59) ?? configuration.calendar.boundaryMinute
            if let names = try strings(calendar, "calendar.weekdays") {
                var days = Set<Weekday>()
                for name in names {
                    guard let day = Weekday(name: name) else {
                        throw error("calendar.weekdays", "unknown weekday '\(name)'; use mon, tue, wed, thu, fri, sat, sun")
                    }
                    days.insert(day)
                }
                guard !days.isEmpty else { throw error("calendar.weekdays", "must name at least one weekday") }
                configuration.calendar.weekdays = days
            }
            if let usFederal = try bool(calendar, "calendar.us_federal_holidays") {
                configuration.calendar.holidays.usFederal = usFederal
            }
            if let added = try dates(calendar, "calendar.add_holidays") { configuration.calendar.holidays.added = added }
            if let removed = try dates(calendar, "calendar.remove_holidays") { configuration.calendar.holidays.removed = removed }
        }

        if let releases = try table(root, "releases") {
            try rejectUnknown(in: releases, prefix: "releases", known: ["change_window_hours"])
            configuration.policy.changeWindowHours =
                try int(releases, "releases.change_window_hours", in: 1...168) ?? configuration.policy.changeWindowHours
        }

        if let upgrades = try table(root, "upgrades") {
            try rejectUnknown(
                in: upgrades, prefix: "upgrades",
                known: ["endpoint_delay_days", "end_user_deferral_days", "max_end_user_deferral_days",
                        "order_answer_timeout_hours", "readiness_check_in_days"])
            configuration.policy.endpointUpgradeDelayDays =
                try int(upgrades, "upgrades.endpoint_delay_days", in: 0...365) ?? configuration.policy.endpointUpgradeDelayDays
            configuration.policy.maxEndUserDeferralDays =
                try int(upgrades, "upgrades.max_end_user_deferral_days", in: 0...365) ?? configuration.policy.maxEndUserDeferralDays
            configuration.policy.endUserDeferralDays =
                try int(upgrades, "upgrades.end_user_deferral_days", in: 0...configuration.policy.maxEndUserDeferralDays)
                ?? configuration.policy.endUserDeferralDays
            configuration.policy.orderAnswerTimeoutHours =
                try int(upgrades, "upgrades.order_answer_timeout_hours", in: 1...720) ?? configuration.policy.orderAnswerTimeoutHours
            configuration.policy.readinessCheckInDays =
                try int(upgrades, "upgrades.readiness_check_in_days", in: 1...365) ?? configuration.policy.readinessCheckInDays
        }
        if let delivery = try table(root, "delivery") {
            try readDelivery(delivery, into: &configuration.delivery)
        }
        if let api = try table(root, "api") {
            try apiSettings(api, into: &configuration.api)
        }
        return configuration
    }

    /// `[delivery]` (DLV-2, DLV-5). Networks must parse as CIDR, so a typo never silently allows
    /// nothing or everything.
    private func readDelivery(_ table: TOMLTable, into delivery: inout Configuration.Delivery) throws(ConfigurationError) {
        try rejectUnknown(
            in: table, prefix: "delivery",
            known: ["first_retry_seconds", "max_retry_interval_seconds", "give_up_after_seconds", "connect_timeout_seconds",
                    "request_timeout_seconds", "per_endpoint_concurrency", "response_body_limit_bytes", "poll_interval_ms",
                    "secret_overlap_hours", "allowed_hosts", "allowed_networks"])
        delivery.firstRetrySeconds = try int(table, "delivery.first_retry_seconds", in: 1...86_400) ?? delivery.firstRetrySeconds
        delivery.maxRetryIntervalSeconds =
            try int(table, "delivery.max_retry_interval_seconds", in: delivery.firstRetrySeconds...604_800) ?? delivery.maxRetryIntervalSeconds
        delivery.giveUpAfterSeconds = try int(table, "delivery.give_up_after_seconds", in: 1...2_592_000) ?? delivery.giveUpAfterSeconds
        delivery.connectTimeoutSeconds = try int(table, "delivery.connect_timeout_seconds", in: 1...60) ?? delivery.connectTimeoutSeconds
        delivery.requestTimeoutSeconds =
            try int(table, "delivery.request_timeout_seconds", in: delivery.connectTimeoutSeconds...300) ?? delivery.requestTimeoutSeconds
        delivery.perEndpointConcurrency = try int(table, "delivery.per_endpoint_concurrency", in: 1...64) ?? delivery.perEndpointConcurrency
        delivery.responseBodyLimitBytes =
            try int(table, "delivery.response_body_limit_bytes", in: 0...1_048_576) ?? delivery.responseBodyLimitBytes
        delivery.pollIntervalMilliseconds = try int(table, "delivery.poll_interval_ms", in: 10...60_000) ?? delivery.pollIntervalMilliseconds
        delivery.secretOverlapHours = try int(table, "delivery.secret_overlap_hours", in: 0...720) ?? delivery.secretOverlapHours
        if let hosts = try strings(table, "delivery.allowed_hosts") {
            for host in hosts where host.isEmpty || host.contains("/") || host.contains(" ") {
                throw error("delivery.allowed_hosts", "'\(host)' is not a host name or address; write names like hooks.example.net or 10.0.0.5")
            }
            delivery.allowedHosts = hosts.map { $0.lowercased() }
        }
        if let networks = try strings(table, "delivery.allowed_networks") {
            for network in networks where IPNetwork(network) == nil {
                throw error("delivery.allowed_networks", "'\(network)' is not a network in CIDR form; write 10.20.0.0/16 or fd00:1::/64")
            }
            delivery.allowedNetworks = networks
        }
    }

    /// `[api]`: the address is `host:port` on an IP literal or a name (`[::1]:8480` for IPv6).
    private func apiSettings(_ table: TOMLTable, into api: inout Configuration.API) throws(ConfigurationError) {
        try rejectUnknown(in: table, prefix: "api",
                          known: ["listen", "inbox", "max_body_bytes", "request_timeout_seconds", "check_in_interval_seconds"])
        if let listen = try string(table, "api.listen") {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (1...65_535).contains(port)
            else {
                throw error("api.listen", "'\(listen)' is not host:port with a port between 1 and 65535, e.g. \"127.0.0.1:8480\"")
            }
            let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            guard !host.isEmpty else { throw error("api.listen", "'\(listen)' has no host; e.g. \"127.0.0.1:8480\"") }
            api.host = host
            api.port = port
        }
        if let inbox = try string(table, "api.inbox") {
            guard !inbox.isEmpty else { throw error("api.inbox", "must not be empty") }
            api.inboxPath = inbox
        }
        api.maxBodyBytes = try int(table, "api.max_body_bytes", in: 1_024...16_777_216) ?? api.maxBodyBytes
        api.requestTimeoutSeconds = try int(table, "api.request_timeout_seconds", in: 1...300) ?? api.requestTimeoutSeconds
        api.checkInIntervalSeconds = try int(table, "api.check_in_interval_seconds", in: 10...86_400) ?? api.checkInIntervalSeconds
    }

    /// A relative store path is relative to the configuration file, not to the working directory.
    private func relativeToFile(_ path: String) -> String {
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        return directory.appendingPathComponent(path).standardizedFileURL.path
    }

    private func error(_ key: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(file: file, key: key, reason: reason)
    }

    private func rejectUnknown(in table: TOMLTable, prefix: String?, known: Set<String>) throws(ConfigurationError) {
        for key in table.keys.sorted() where !known.contains(key) {
            let dotted = prefix.map { "\($0).\(key)" } ?? key
            let where_ = prefix.map { "table [\($0)]" } ?? "the top level"
            throw error(dotted, "unknown key in \(where_); known keys: \(known.sorted().joined(separator: ", "))")
        }
    }

    private func value(_ table: TOMLTable, _ dotted: String) -> (any TOMLValueConvertible)? {
        table[String(dotted.split(separator: ".").last!)]
    }

    private func typeError(_ dotted: String, expected: String, got value: any TOMLValueConvertible) -> ConfigurationError {
        error(dotted, "expected \(expected), got \(value.type) \(value.debugDescription)")
    }

    private func table(_ root: TOMLTable, _ key: String) throws(ConfigurationError) -> TOMLTable? {
        guard let value = root[key] else { return nil }
        guard let table = value.table else { throw typeError(key, expected: "a table [\(key)]", got: value) }
        return table
    }

    private func string(_ table: TOMLTable, _ dotted: String) throws(ConfigurationError) -> String? {
        guard let value = value(table, dotted) else { return nil }
        guard let string = value.string else { throw typeError(dotted, expected: "a string", got: value) }
        return string
    }

    private func bool(_ table: TOMLTable, _ dotted: String) throws(ConfigurationError) -> Bool? {
        guard let value = value(table, dotted) else { return nil }
        guard let bool = value.bool else { throw typeError(dotted, expected: "true or false", got: value) }
        return bool
    }

    private func int(_ table: TOMLTable, _ dotted: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = value(table, dotted) else { return nil }
        guard let int = value.int else { throw typeError(dotted, expected: "an integer", got: value) }
        guard range.contains(int) else {
            throw error(dotted, "\(int) is out of range; it must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return int
    }

    private func strings(_ table: TOMLTable, _ dotted: String) throws(ConfigurationError) -> [String]? {
        guard let value = value(table, dotted) else { return nil }
        guard let array = value.array else { throw typeError(dotted, expected: "an array of strings", got: value) }
        var result: [String] = []
        for element in array {
            guard let string = element.string else { throw typeError(dotted, expected: "an array of strings", got: value) }
            result.append(string)
        }
        return result
    }

    private func dates(_ table: TOMLTable, _ dotted: String) throws(ConfigurationError) -> Set<LocalDate>? {
        guard let value = value(table, dotted) else { return nil }
        guard let array = value.array else { throw typeError(dotted, expected: "an array of dates", got: value) }
        var result = Set<LocalDate>()
        for element in array {
            if let date = element.date, let day = LocalDate(year: date.year, month: date.month, day: date.day) {
                result.insert(day)
            } else if let text = element.string, let day = LocalDate(text) {
                result.insert(day)
            } else {
                throw error(dotted, "'\(element.debugDescription)' is not a date; write dates as 2026-12-24")
            }
        }
        return result
    }
}
