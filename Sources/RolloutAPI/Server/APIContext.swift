import Foundation
public import Hummingbird
public import RolloutStore
import RolloutEngine

/// The per-request context: Hummingbird's core plus the token the request authenticated with.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `Authentication` for every route but the public ones.
    public var token: APIToken?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// A path parameter, percent-decoded (Hummingbird matches the raw path): `contoso%2De1` is
    /// the id `contoso-e1`. An undecodable one names no subject.
    func pathID(_ name: String) throws -> String {
        guard let id = try parameters.require(name).removingPercentEncoding, !id.isEmpty else {
            throw Problem.notFound(name, (try? parameters.require(name)) ?? "")
        }
        return id
    }

    /// The authenticated token; the routes that read it are behind `Authentication`.
    func requireToken() throws -> APIToken {
        guard let token else { throw Problem.unauthorized }
        return token
    }
}
