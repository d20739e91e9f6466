public import Foundation
import GRDB
public import RolloutCore

/// One release of the catalogue with its builds (CAD-11).
public struct CatalogueRelease: Codable, Sendable {
    public struct Build: Codable, Sendable {
        public let platform: String
        public let file: String
        public let size: Int64
        public let sha256: String
    }

    public let version: String
    public let automaticDate: Date
    public let critical: Bool
    public let builds: [Build]

    enum CodingKeys: String, CodingKey {
        case version, critical, builds
        case automaticDate = "automatic_date"
    }
}

extension Store {
    /// The release catalogue, oldest first; with a platform, only releases that ship a build for
    /// it, and only that build.
    public func releaseCatalogue(platform: Platform?, version: String?) throws -> [CatalogueRelease] {
        try read { db in
            var builds: [String: [CatalogueRelease.Build]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT version, platform, file, size, sha256 FROM release_build ORDER BY platform") {
                if let platform, row["platform"] != platform.rawValue { continue }
                builds[row["version"], default: []].append(.init(platform: row["platform"], file: row["file"], size: row["size"], sha256: row["sha256"]))
            }
            let key = version.flatMap(Version.init)?.sortKey
            if version != nil && key == nil { throw StoreError(code: .notFound, message: "'\(version!)' is not a version") }
            return try Row.fetchAll(db, sql: "SELECT version, auto_date, critical FROM release WHERE ? IS NULL OR version_key = ? ORDER BY version_key",
                                    arguments: [key, key]).compactMap { row in
                let files = builds[row["version"]] ?? []
                if platform != nil && files.isEmpty { return nil }
                return CatalogueRelease(version: row["version"], automaticDate: Instant.date(row["auto_date"]), critical: row["critical"], builds: files)
            }
        }
    }
}
