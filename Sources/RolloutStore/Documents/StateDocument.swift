import Foundation
import GRDB
import RolloutCore

/// A declarative state document: partners, organisations, users, endpoints and releases,
/// upserted by id in one transaction (see docs/state-document.md).
///
/// Validation is complete before anything is written: every error is collected with its JSON
/// path, and a document with any error is rejected whole.
///
/// Loading is an upsert (DMN-9): every value an object gives is written; a field it leaves out
/// keeps its stored value (a new entity gets the default); `null` clears an optional field.
/// `given` holds the fields each object wrote, present or `null`.
public struct StateDocument: Sendable {
    public struct Partner: Sendable {
        var id: String, name: String, locale: Language, releaseManagement: Bool, allowCustomerOverride: Bool
        var schedule: Schedule?, upgradePolicy: UpgradePolicy, upgradeDelayDays: Int?, endUserDeferralDays: Int?, billingDay: Int
        var given: Set<String>
        /// OPS-3; nil keeps the stored value (or the SPEC default).
        var failureThresholdPercent: Int? = nil, failureThresholdMinimum: Int? = nil
        /// The distributors answering this partner's orders (API-1); nil keeps the stored ones.
        var distributors: [String]? = nil
    }
    public struct Organisation: Sendable {
        var id: String, name: String, partners: [String], generation: Generation
        var schedule: Schedule?, scheduleOrigin: Actor?, allowCustomerOverride: Bool?
        var legacyDeferMonths: Int?, upgradeDelayDays: Int?, policyFeatures: [String]
        var given: Set<String>
    }
    public struct User: Sendable {
        var id: String, organisation: String, name: String, automaticUpgrades: AutomaticUpgrades
        var given: Set<String>
    }
    public struct Endpoint: Sendable {
        var id: String, organisation: String, user: String?, platform: Platform, osVersion: String?
        var installedVersion: Version, agentGeneration: Generation, agentVersion: String?, lastCheckIn: Date?
        var given: Set<String>
    }
    public struct Build: Sendable {
        var platform: Platform, file: String, size: Int64, sha256: String
    }
    public struct Release: Sendable {
        var version: Version, automaticDate: Date, critical: Bool, builds: [Build]
        var given: Set<String>
    }

    public internal(set) var partners: [Partner] = []
    public internal(set) var organisations: [Organisation] = []
    public internal(set) var users: [User] = []
    public internal(set) var endpoints: [Endpoint] = []
    public internal(set) var releases: [Release] = []

    /// How many entities of each kind the document holds, for the CLI's summary.
    public var counts: [String: Int] {
        ["partners": partners.count, "organisations": organisations.count, "users": users.count,
         "endpoints": endpoints.count, "releases": releases.count]
    }
}

/// One thing wrong in a document, at a JSON path such as `$.endpoints[3].platform`.
public struct DocumentProblem: Error, Equatable, Sendable, CustomStringConvertible, Codable {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

/// A rejected document: every problem found, nothing written.
public struct DocumentRejected: Error, Sendable, CustomStringConvertible {
    public let problems: [DocumentProblem]
    public var description: String {
        "document rejected, nothing was written (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
