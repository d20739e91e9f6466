import Foundation
import RolloutCore

extension StateDocument {
    /// Parses and validates a JSON document. References to ids are checked against the
    /// document itself and `existing` (what the store already holds).
    public static func parse(_ data: Data, existing: KnownIDs = KnownIDs()) throws(DocumentRejected) -> StateDocument {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw DocumentRejected(problems: [DocumentProblem(path: "$", message: "not valid JSON: " + syntaxError(error, in: data))])
        }
        var parser = DocumentParser(existing: existing)
        let document = parser.document(json)
        parser.checkReferences(document, existing: existing)
        if !parser.problems.isEmpty { throw DocumentRejected(problems: parser.problems) }
        return document
    }
}

/// Ids already in the store, so a document may refer to entities loaded earlier.
public struct KnownIDs: Sendable {
    public var partners: Set<String> = []
    public var organisations: Set<String> = []
    /// User id → organisation id.
    public var users: [String: String] = [:]
    /// The generation of each organisation the upgrade programme has acted on (an order, an
    /// upgrade): a decision no document may change (DMN-9).
    public var decidedGenerations: [String: (generation: String, why: String)] = [:]
    public init() {}
}

/// Reads the untyped JSON into typed entities, recording every problem instead of stopping.
private struct DocumentParser {
    let existing: KnownIDs
    var problems: [DocumentProblem] = []

    mutating func problem(_ path: String, _ message: String) {
        problems.append(DocumentProblem(path: path, message: message))
    }

    mutating func document(_ json: Any) -> StateDocument {
        var document = StateDocument()
        guard let root = json as? [String: Any] else {
            problem("$", "the document must be a JSON object with arrays partners, organisations, users, endpoints, releases")
            return document
        }
        let kinds = ["partners", "organisations", "users", "endpoints", "releases"]
        for key in root.keys.sorted() where !kinds.contains(key) {
            problem("$.\(key)", "unknown key; expected one of \(kinds.joined(separator: ", "))")
        }
        let partners = objects(root, "partners"), organisations = objects(root, "organisations")
        let users = objects(root, "users"), endpoints = objects(root, "endpoints"), releases = objects(root, "releases")
        for (object, path) in partners { partner(object, at: path).map { document.partners.append($0) } }
        for (object, path) in organisations { organisation(object, at: path).map { document.organisations.append($0) } }
        for (object, path) in users { user(object, at: path).map { document.users.append($0) } }
        for (object, path) in endpoints { endpoint(object, at: path).map { document.endpoints.append($0) } }
        for (object, path) in releases { release(object, at: path).map { document.releases.append($0) } }
        // Duplicates and references are checked on the raw elements, by their own JSON paths,
        // so an element with a bad field still has its references and id checked.
        duplicates(idClaims(partners))
        duplicates(idClaims(organisations))
        duplicates(idClaims(users))
        duplicates(idClaims(endpoints))
        duplicates(releases.compactMap { element in
            (element.0["version"] as? String).flatMap(Version.init).map { ($0.sortKey, $0.description, element.1) }
        })
        raw = RawElements(partners: partners, organisations: organisations, users: users, endpoints: endpoints)
        return document
    }

    /// The elements as written, kept for the reference checks.
    struct RawElements {
        var partners: [([String: Any], String)] = []
        var organisations: [([String: Any], String)] = []
        var users: [([String: Any], String)] = []
        var endpoints: [([String: Any], String)] = []
    }

    var raw = RawElements()

    private func idClaims(_ elements: [([String: Any], String)]) -> [(String, String, String)] {
        elements.compactMap { element in (element.0["id"] as? String).map { ($0, $0, element.1) } }
    }

    /// `claims` are (key, shown id, path) in document order.
    mutating func duplicates(_ claims: [(String, String, String)]) {
        var first: [String: String] = [:]
        for (key, shown, path) in claims {
            if let earlier = first[key] {
                problem(path, "duplicate id '\(shown)' (first at \(earlier))")
            } else {
                first[key] = path
            }
        }
    }

    mutating func checkReferences(_ document: StateDocument, existing: KnownIDs) {
        func ids(_ elements: [([String: Any], String)]) -> [String] { elements.compactMap { $0.0["id"] as? String } }
        let partners = existing.partners.union(ids(raw.partners))
        let organisations = existing.organisations.union(ids(raw.organisations))
        var userOrganisation = existing.users
        for (object, _) in raw.users {
            if let id = object["id"] as? String, let organisation = object["organisation"] as? String { userOrganisation[id] = organisation }
        }
        for (object, path) in raw.organisations {
            for (slot, partner) in ((object["partners"] as? [Any]) ?? []).enumerated() {
                if let partner = partner as? String, !partners.contains(partner) {
                    problem("\(path).partners[\(slot)]", "unknown partner '\(partner)'")
                }
            }
        }
        for (object, path) in raw.users {
            if let organisation = object["organisation"] as? String, !organisations.contains(organisation) {
                problem("\(path).organisation", "unknown organisation '\(organisation)'")
            }
        }
        for (object, path) in raw.endpoints {
            let organisation = object["organisation"] as? String
            if let organisation, !organisations.contains(organisation) {
                problem("\(path).organisation", "unknown organisation '\(organisation)'")
            }
            guard let user = object["user"] as? String else { continue }
            if let owner = userOrganisation[user] {
                if let organisation, owner != organisation {
                    problem("\(path).user", "user '\(user)' belongs to organisation '\(owner)', not '\(organisation)'")
                }
            } else {
                problem("\(path).user", "unknown user '\(user)'")
            }
        }
    }

    // MARK: Entities

    mutating func partner(_ object: [String: Any], at path: String) -> StateDocument.Partner? {
        var fields = Fields(object: object, path: path)
        let id = fields.id("id")
        let name = fields.string("name") ?? id
        let locale = fields.choice("locale", Language.self) ?? .en
        let releaseManagement = fields.bool("release_management") ?? false
        let allowOverride = fields.bool("allow_customer_override") ?? true
        let schedule = fields.schedule("schedule")
        let policy = fields.choice("upgrade_policy", UpgradePolicy.self) ?? .automatic
        let delay = fields.int("upgrade_delay_days", in: 0...365)
        let deferral = fields.int("end_user_deferral_days", in: 0...30)
        let billing = fields.int("billing_day", in: 1...28) ?? 1
        let thresholdPercent = fields.int("failure_threshold_percent", in: 0...100)
        let thresholdMinimum = fields.int("failure_threshold_minimum", in: 1...1_000_000)
        let distributors = fields.strings("distributors")
        for (slot, distributor) in (distributors ?? []).enumerated() where !Fields.isID(distributor) {
            fields.problem("distributors[\(slot)]", "'\(distributor)' is not an id (letters, digits and -_.:@)")
        }
        fields.rejectUnknown()
        problems += fields.problems
        guard let id, let name else { return nil }
        return .init(id: id, name: name, locale: locale, releaseManagement: releaseManagement, allowCustomerOverride: allowOverride,
                     schedule: schedule?.0, upgradePolicy: policy, upgradeDelayDays: delay, endUserDeferralDays: deferral, billingDay: billing,
                     given: fields.given, failureThresholdPercent: thresholdPercent, failureThresholdMinimum: thresholdMinimum,
                     distributors: distributors)
    }

    mutating func organisation(_ object: [String: Any], at path: String) -> StateDocument.Organisation? {
        var fields = Fields(object: object, path: path)
        let id = fields.id("id")
        let name = fields.string("name") ?? id
        let partners = fields.strings("partners") ?? []
        if partners.isEmpty && object["partners"] != nil {
            fields.problem("partners", "an organisation is managed by at least one partner")
        } else if object["partners"] == nil, !(id.map(existing.organisations.contains) ?? false) {
            fields.problem("partners", "required: the ids of the partners managing this organisation")
        }
        let generation = fields.choice("generation", Generation.self) ?? .legacy
        if object["generation"] != nil, let id, let decided = existing.decidedGenerations[id], decided.generation != generation.rawValue {
            fields.problem("generation", "'\(id)' is \(decided.generation): \(decided.why); the upgrade programme decides an "
                           + "organisation's generation and a document cannot change it (DMN-9). Leave the field out to keep it")
        }
        let schedule = fields.schedule("schedule")
        let allowOverride = fields.bool("allow_customer_override")
        let legacy = fields.int("legacy_defer_months", in: Int.min...Int.max)
        let delay = fields.int("upgrade_delay_days", in: 0...365)
        let features = fields.strings("policy_features") ?? []
        fields.rejectUnknown()
        problems += fields.problems
        guard let id, let name else { return nil }
        return .init(id: id, name: name, partners: partners, generation: generation, schedule: schedule?.0,
                     scheduleOrigin: schedule?.1, allowCustomerOverride: allowOverride, legacyDeferMonths: legacy, upgradeDelayDays: delay,
                     policyFeatures: features, given: fields.given)
    }

    mutating func user(_ object: [String: Any], at path: String) -> StateDocument.User? {
        var fields = Fields(object: object, path: path)
        let id = fields.id("id")
        let organisation = fields.required("organisation")
        let name = fields.string("name") ?? id
        let automatic = fields.choice("automatic_upgrades", AutomaticUpgrades.self) ?? .inherit
        fields.rejectUnknown()
        problems += fields.problems
        guard let id, let organisation, let name else { return nil }
        return .init(id: id, organisation: organisation, name: name, automaticUpgrades: automatic, given: fields.given)
    }

    mutating func endpoint(_ object: [String: Any], at path: String) -> StateDocument.Endpoint? {
        var fields = Fields(object: object, path: path)
        let id = fields.id("id")
        let organisation = fields.required("organisation")
        let user = fields.string("user")
        let platform = fields.choice("platform", Platform.self, required: true)
        let osVersion = fields.string("os_version")
        let installed = fields.version("installed_version", required: true)
        let agentGeneration = fields.choice("agent_generation", Generation.self) ?? .legacy
        let agentVersion = fields.string("agent_version")
        let checkIn = fields.instant("last_check_in")
        fields.rejectUnknown()
        problems += fields.problems
        guard let id, let organisation, let platform, let installed else { return nil }
        return .init(id: id, organisation: organisation, user: user, platform: platform, osVersion: osVersion,
                     installedVersion: installed, agentGeneration: agentGeneration, agentVersion: agentVersion, lastCheckIn: checkIn,
                     given: fields.given)
    }

    mutating func release(_ object: [String: Any], at path: String) -> StateDocument.Release? {
        var fields = Fields(object: object, path: path)
        let version = fields.version("version", required: true)
        let date = fields.instant("automatic_date", required: true)
        let critical = fields.bool("critical") ?? false
        var builds: [StateDocument.Build] = []
        if let raw = object["builds"] {
            if let array = raw as? [Any] {
                var platforms: Set<Platform> = []
                for (index, element) in array.enumerated() {
                    let buildPath = "\(path).builds[\(index)]"
                    guard let buildObject = element as? [String: Any] else {
                        problem(buildPath, "expected an object with platform, file, size, sha256")
                        continue
                    }
                    var buildFields = Fields(object: buildObject, path: buildPath)
                    let platform = buildFields.choice("platform", Platform.self, required: true)
                    let file = buildFields.required("file")
                    let size = buildFields.int("size", in: 0...Int.max, required: true)
                    let sha = buildFields.required("sha256")
                    // ASCII only: Character.isHexDigit also accepts full-width digits (０-９).
                    if let sha, sha.utf8.count != 64 || !sha.utf8.allSatisfy({ (48...57).contains($0) || (65...70).contains($0) || (97...102).contains($0) }) {
                        buildFields.problem("sha256", "expected 64 hexadecimal digits")
                    }
                    buildFields.rejectUnknown()
                    problems += buildFields.problems
                    if let platform, !platforms.insert(platform).inserted {
                        problem("\(buildPath).platform", "duplicate build for platform '\(platform.rawValue)'")
                    }
                    if let platform, let file, let size, let sha {
                        builds.append(.init(platform: platform, file: file, size: Int64(size), sha256: sha.lowercased()))
                    }
                }
            } else {
                fields.problem("builds", "expected an array of builds")
            }
            fields.consume("builds")
        }
        fields.rejectUnknown()
        problems += fields.problems
        guard let version, let date else { return nil }
        return .init(version: version, automaticDate: date, critical: critical, builds: builds, given: fields.given)
    }

    /// The objects of one top-level array, each with its JSON path.
    mutating func objects(_ root: [String: Any], _ key: String) -> [([String: Any], String)] {
        guard let raw = root[key] else { return [] }
        guard let array = raw as? [Any] else {
            problem("$.\(key)", "expected an array")
            return []
        }
        var result: [([String: Any], String)] = []
        for (index, item) in array.enumerated() {
            let path = "$.\(key)[\(index)]"
            guard let object = item as? [String: Any] else {
                problem(path, "expected an object")
                continue
            }
            result.append((object, path))
        }
        return result
    }
}

/// Where JSONSerialization stopped, as the line and column an editor shows ("line 3, column 12:
/// invalid value"), from the character offset in its debug description.
func syntaxError(_ error: Error, in data: Data) -> String {
    let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
    let text = String(decoding: data, as: UTF8.self)
    let offset: Int
    if let match = detail.firstMatch(of: /character (\d+)/), let value = Int(match.1) {
        offset = min(value, text.count)
    } else if detail.localizedCaseInsensitiveContains("end of file") {
        offset = text.count
    } else {
        return detail
    }
    var line = 1, column = 1
    for character in text.prefix(offset) {
        if character == "\n" { line += 1; column = 1 } else { column += 1 }
    }
    let reason = detail.replacing(#/ around character \d+/#, with: "").trimmingCharacters(in: CharacterSet(charactersIn: ". "))
    return "line \(line), column \(column): \(reason.prefix(1).lowercased() + reason.dropFirst())"
}
