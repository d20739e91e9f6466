import GRDB

/// What an id on the command line (or in an API path) can name.
public enum SubjectKind: String, Sendable {
    case partner, organisation, user, endpoint, release

    var table: String { self == .release ? "release" : rawValue }
    var idColumn: String { self == .release ? "version" : "id" }
}

extension Store {
    /// Throws `store.not_found` ("no such organisation 'x'") unless every given id exists, so an
    /// unknown id is an error on every command instead of an empty answer.
    public func requireExisting(_ subjects: [(SubjectKind, String?)]) throws {
        try read { db in
            for case let (kind, id?) in subjects {
                let found = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \"\(kind.table)\" WHERE \(kind.idColumn) = ?)",
                                              arguments: [id]) ?? false
                guard found else { throw StoreError(code: .notFound, message: "no such \(kind.rawValue) '\(id)'") }
            }
        }
    }
}
