import ArgumentParser
import Foundation
import RolloutCore
import RolloutStore

extension TokenRole: ExpressibleByArgument {}

/// `rolloutctl token`: API tokens (API-1). Root on the host creates them; the secret is printed
/// once and only its SHA-256 is stored.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke API tokens for partner and customer admins, distributors and agents (API-1).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print its secret, once.",
            discussion: """
                Roles: partner (--partner P: the partner and the organisations it manages), customer \
                (--org O: one organisation, acting as customer), distributor (--distributor D: the orders \
                of the partners whose state document names D in `distributors`), agent (--org O: the \
                endpoints of one organisation). The secret cannot be shown again: store it now.

                Examples:
                  rolloutctl token create --role partner --partner northwind \\
                      --name "northwind console"
                  rolloutctl token create --role agent --org fabrikam \\
                      --name "fabrikam agents" --expires 2027-01-01T00:00:00Z --json
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "partner, customer, distributor or agent.") var role: TokenRole
        @Option(help: "The partner of a partner token.") var partner: String?
        @Option(help: "The organisation of a customer or agent token.") var org: String?
        @Option(help: "The distributor of a distributor token.") var distributor: String?
        @Option(help: "A name saying who holds it (shown in history as the actor).") var name: String
        @Option(help: ArgumentHelp("When it stops working (default: never).", valueName: "INSTANT")) var expires: InstantArgument?
        @Flag(help: "Print the token and its secret as JSON.") var json = false

        func run() throws {
            let (_, store) = try options.openStore()
            let created = try refusable {
                try store.createToken(name: name, role: role, partner: partner, organisation: org, distributor: distributor,
                                      expiresAt: expires?.date, at: Date())
            }
            if json { return try printJSON(created) }
            print(created.secret)
            FileHandle.standardError.write(Data("""
                rolloutctl: token \(created.token.id) (\(created.token.role.rawValue), "\(created.token.name)") created; \
                the secret above is shown only this once

                """.utf8))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tokens: id, name, role, scope, expiry, last use, revocation. Never secrets.",
            discussion: """
                Example:
                  rolloutctl token list --json
                """)

        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print the tokens as JSON.") var json = false

        func run() throws {
            let (_, store) = try options.openStore()
            let tokens = try refusable { try store.tokens() }
            if json { return try printJSON(tokens) }
            printTable(columns: ["id", "name", "role", "scope", "expires", "last used", "revoked"], rows: tokens.map { token in
                [token.id, token.name, token.role.rawValue, token.partner ?? token.organisation ?? token.distributor ?? "",
                 token.expiresAt.map(Instant.format) ?? "never", token.lastUsedAt.map(Instant.format) ?? "never",
                 token.revokedAt.map(Instant.format) ?? ""]
            })
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token for good: the API refuses it from now on.",
            discussion: """
                Example:
                  rolloutctl token revoke 3f9c0a12b7d4
                """)

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The token's id (rolloutctl token list).") var id: String

        func run() throws {
            let (_, store) = try options.openStore()
            let token = try refusable { try store.revokeToken(id: id, at: Date()) }
            print("revoked token \(token.id) (\(token.name)) at \(Instant.format(token.revokedAt ?? Date()))")
        }
    }
}
