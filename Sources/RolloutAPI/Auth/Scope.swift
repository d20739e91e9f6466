import Hummingbird
import RolloutCore
import RolloutStore
import RolloutEngine

/// Who may reach what (API-1). A role that may never use a route gets 403; a subject outside
/// the token's scope gets the same 404 as one that does not exist.
struct Scope {
    let services: Services
    let token: APIToken

    init(_ services: Services, _ context: APIContext, roles: [TokenRole]) throws {
        self.services = services
        token = try context.requireToken()
        guard roles.contains(token.role) else { throw Problem.forbidden(token.role, allowed: roles) }
    }

    /// How a partner or customer token acts on an organisation: as a managing partner's admin,
    /// or as its customer admin; `partner` is the partner a change is requested through (CAD-4).
    struct OrganisationAccess: Sendable {
        let organisation: String
        let partner: String
        let actor: Actor
    }

    func organisation(_ organisation: String) async throws -> OrganisationAccess {
        let store = services.store
        let partners = try await services.blocking.read { try store.partners(managing: organisation) }
        switch token.role {
        case .partner:
            if let partner = token.partner, partners.contains(partner) {
                return OrganisationAccess(organisation: organisation, partner: partner, actor: .partner)
            }
        case .customer:
            if token.organisation == organisation, let partner = partners.first {
                return OrganisationAccess(organisation: organisation, partner: partner, actor: .customer)
            }
        case .agent, .distributor:
            break
        }
        throw Problem.notFound("organisation", organisation)
    }

    /// A partner token on a `/v1/partners/{p}/…` route of its own partner: the scope and `p`.
    /// Another role is 403; another partner the same 404 as a missing one.
    static func partnerRoute(_ services: Services, _ request: Request, _ context: APIContext,
                             query: Set<String> = []) throws -> (Scope, String) {
        let scope = try Scope(services, context, roles: [.partner])
        try request.onlyQuery(query)
        return (scope, try scope.partner(try context.pathID("p")))
    }

    /// The partner a partner token is for, when the path names it.
    func partner(_ partner: String) throws -> String {
        guard token.role == .partner, token.partner == partner else { throw Problem.notFound("partner", partner) }
        return partner
    }

    /// A user of an organisation the token reaches.
    func user(_ user: String) async throws -> OrganisationAccess {
        let store = services.store
        guard let organisation = try await services.blocking.read({ try store.organisation(ofUser: user) }),
              let access = try? await self.organisation(organisation) else {
            throw Problem.notFound("user", user)
        }
        return access
    }

    /// An endpoint of the agent token's organisation; returns the organisation.
    func endpoint(_ endpoint: String) async throws -> String {
        let store = services.store
        guard token.role == .agent, let organisation = try await services.blocking.read({ try store.organisation(ofEndpoint: endpoint) }),
              organisation == token.organisation else {
            throw Problem.notFound("endpoint", endpoint)
        }
        return organisation
    }
}
