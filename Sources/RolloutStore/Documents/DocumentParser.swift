import Foundation
import RolloutCore

extension StateDocument {
    /// Parses and validates a JSON document held in memory. References to ids are checked
    /// against the document itself and `existing` (what the store already holds).
    public static func parse(_ data: Data, existing: KnownIDs = KnownIDs()) throws(DocumentRejected) -> StateDocument {
        var collector = DocumentCollector()
        var reader = DocumentReader(existing: existing)
        do {
            try reader.read(JSONStream(data: data), into: &collector)
        } catch let rejected as DocumentRejected {
            throw rejected
        } catch {
            // The collector writes nothing, so nothing else can fail.
            throw DocumentRejected(problems: [DocumentProblem(path: "$", message: "\(error)")])
        }
        return collector.document
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

/// Receives each valid entity as soon as it is read, while the document has no problem so far.
protocol DocumentSink {
    mutating func partner(_ partner: StateDocument.Partner) throws
    mutating func organisation(_ organisation: StateDocument.Organisation) throws
    mutating func user(_ user: StateDocument.User) throws
    mutating func endpoint(_ endpoint: StateDocument.Endpoint) throws
    mutating func release(_ release: StateDocument.Release) throws
}

/// Keeps every entity: `StateDocument.parse`, for documents held in memory.
struct DocumentCollector: DocumentSink {
    var document = StateDocument()
    mutating func partner(_ partner: StateDocument.Partner) { document.partners.append(partner) }
    mutating func organisation(_ organisation: StateDocument.Organisation) { document.organisations.append(organisation) }
    mutating func user(_ user: StateDocument.User) { document.users.append(user) }
    mutating func endpoint(_ endpoint: StateDocument.Endpoint) { document.endpoints.append(endpoint) }
    mutating func release(_ release: StateDocument.Release) { document.releases.append(release) }
}

/// Reads a document element by element from a `JSONStream`, validates each one, hands the valid
/// ones to a sink, and records every problem instead of stopping. What must be checked across
/// elements (duplicate ids, references) is kept as compact claims — ids and the ids they name,
/// by element index — and checked at the end, so the arrays may come in any order.
struct DocumentReader {
    enum Kind: String, CaseIterable {
        case partners, organisations, users, endpoints, releases
    }

    /// What the store holds: references may name it, and it decides what a document may change.
    let existing: KnownIDs
    private(set) var problems: [DocumentProblem] = []
    /// Valid elements read, by kind.
    private(set) var counts: [String: Int] = Dictionary(uniqueKeysWithValues: Kind.allCases.map { ($0.rawValue, 0) })
    private var claims = Claims()

    /// What elements claim and name, by index in their array, as written (even in an element
    /// with a bad field, so its id and references are still checked).
    private struct Claims {
        var ids: [Kind: [(index: Int, id: String)]] = [:]
        /// Releases are the same when their versions are numerically equal (`45.2` = `45.2.0`).
        var releaseVersions: [(index: Int, key: String, shown: String)] = []
        var organisationPartners: [(index: Int, slot: Int, partner: String)] = []
        var userOrganisations: [(index: Int, id: String?, organisation: String)] = []
        var endpointReferences: [(index: Int, organisation: String?, user: String?)] = []
    }

    mutating func problem(_ path: String, _ message: String) {
        problems.append(DocumentProblem(path: path, message: message))
    }

    /// Reads the whole stream. Throws `DocumentRejected` when the document has any problem,
    /// after every problem was found; errors of the sink are rethrown as they are.
    init(existing: KnownIDs) {
        self.existing = existing
    }

    mutating func read<Sink: DocumentSink>(_ stream: JSONStream, into sink: inout Sink) throws {
        do {
            guard try stream.beginObject() else {
                problem("$", "the document must be a JSON object with arrays partners, organisations, users, endpoints, releases")
                throw DocumentRejected(problems: problems)
            }
            var first = true
            while let key = try stream.nextKey(first: first) {
                first = false
                guard let kind = Kind(rawValue: key) else {
                    _ = try stream.wholeValue()
                    problem("$.\(key)", "unknown key; expected one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                guard try stream.beginArray() else {
                    _ = try stream.wholeValue()
                    problem("$.\(key)", "expected an array")
                    continue
                }
                var index = 0
                while let element = try stream.nextElement(first: index == 0) {
                    try self.element(element, kind: kind, index: index, into: &sink)
                    index += 1
                }
            }
            try stream.finish()
        } catch let syntax as JSONSyntaxError {
            throw DocumentRejected(problems: [DocumentProblem(path: "$", message: "not valid JSON: \(syntax)")])
        }
        checkDuplicates()
        checkReferences()
        if !problems.isEmpty { throw DocumentRejected(problems: problems) }
    }

    private mutating func element<Sink: DocumentSink>(_ element: DocumentValue, kind: Kind, index: Int, into sink: inout Sink) throws {
        let path = "$.\(kind.rawValue)[\(index)]"
        guard let object = element.object else {
            problem(path, "expected an object")
            return
        }
        claim(object, kind: kind, index: index)
        let valid = problems.isEmpty
        var accepted = true
        switch kind {
        case .partners:
            if let partner = partner(object, at: path) { if valid { try sink.partner(partner) } } else { accepted = false }
        case .organisations:
            if let organisation = organisation(object, at: path) { if valid { try sink.organisation(organisation) } } else { accepted = false }
        case .users:
            if let user = user(object, at: path) { if valid { try sink.user(user) } } else { accepted = false }
        case .endpoints:
            if let endpoint = endpoint(object, at: path) { if valid { try sink.endpoint(endpoint) } } else { accepted = false }
        case .releases:
            if let release = release(object, at: path) { if valid { try sink.release(release) } } else { accepted = false }
        }
        if accepted { counts[kind.rawValue, default: 0] += 1 }
    }

    private mutating func claim(_ object: [String: DocumentValue], kind: Kind, index: Int) {
        if kind == .releases {
            if let text = object["version"]?.string, let version = Version(text) {
                claims.releaseVersions.append((index, version.sortKey, version.description))
            }
            return
        }
        let id = object["id"]?.string
        if let id { claims.ids[kind, default: []].append((index, id)) }
        switch kind {
        case .organisations:
            if case .array(let partners)? = object["partners"] {
                for (slot, partner) in partners.enumerated() {
                    if let partner = partner.string { claims.organisationPartners.append((index, slot, partner)) }
                }
            }
        case .users:
            if let organisation = object["organisation"]?.string { claims.userOrganisations.append((index, id, organisation)) }
        case .endpoints:
            let organisation = object["organisation"]?.string, user = object["user"]?.string
            if organisation != nil || user != nil { claims.endpointReferences.append((index, organisation, user)) }
        case .partners, .releases:
            break
        }
    }

    private mutating func checkDuplicates() {
        func duplicates(_ kind: Kind, _ claims: [(index: Int, key: String, shown: String)]) {
            var first: [String: Int] = [:]
            for claim in claims {
                if let earlier = first[claim.key] {
                    problem("$.\(kind.rawValue)[\(claim.index)]", "duplicate id '\(claim.shown)' (first at $.\(kind.rawValue)[\(earlier)])")
                } else {
                    first[claim.key] = claim.index
                }
            }
        }
        for kind in Kind.allCases where kind != .releases {
            duplicates(kind, (claims.ids[kind] ?? []).map { ($0.index, $0.id, $0.id) })
        }
        duplicates(.releases, claims.releaseVersions)
    }

    private mutating func checkReferences() {
        let partners = existing.partners.union((claims.ids[.partners] ?? []).map(\.id))
        let organisations = existing.organisations.union((claims.ids[.organisations] ?? []).map(\.id))
        var userOrganisation = existing.users
        for claim in claims.userOrganisations {
            if let id = claim.id { userOrganisation[id] = claim.organisation }
        }
        for claim in claims.organisationPartners where !partners.contains(claim.partner) {
            problem("$.organisations[\(claim.index)].partners[\(claim.slot)]", "unknown partner '\(claim.partner)'")
        }
        for claim in claims.userOrganisations where !organisations.contains(claim.organisation) {
            problem("$.users[\(claim.index)].organisation", "unknown organisation '\(claim.organisation)'")
        }
        for claim in claims.endpointReferences {
            let path = "$.endpoints[\(claim.index)]"
            if let organisation = claim.organisation, !organisations.contains(organisation) {
                problem("\(path).organisation", "unknown organisation '\(organisation)'")
            }
            guard let user = claim.user else { continue }
            if let owner = userOrganisation[user] {
                if let organisation = claim.organisation, owner != organisation {
                    problem("\(path).user", "user '\(user)' belongs to organisation '\(owner)', not '\(organisation)'")
                }
            } else {
                problem("\(path).user", "unknown user '\(user)'")
            }
        }
    }

    // MARK: Entities

    mutating func partner(_ object: [String: DocumentValue], at path: String) -> StateDocument.Partner? {
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

    mutating func organisation(_ object: [String: DocumentValue], at path: String) -> StateDocument.Organisation? {
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

    mutating func user(_ object: [String: DocumentValue], at path: String) -> StateDocument.User? {
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

    mutating func endpoint(_ object: [String: DocumentValue], at path: String) -> StateDocument.Endpoint? {
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

    mutating func release(_ object: [String: DocumentValue], at path: String) -> StateDocument.Release? {
        var fields = Fields(object: object, path: path)
        let version = fields.version("version", required: true)
        let date = fields.instant("automatic_date", required: true)
        let critical = fields.bool("critical") ?? false
        var builds: [StateDocument.Build] = []
        if let raw = object["builds"] {
            if case .array(let array) = raw {
                var platforms: Set<Platform> = []
                for (index, element) in array.enumerated() {
                    let buildPath = "\(path).builds[\(index)]"
                    guard let buildObject = element.object else {
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
}
