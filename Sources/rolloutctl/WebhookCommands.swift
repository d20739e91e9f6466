import ArgumentParser
import Foundation
import RolloutCore
import RolloutDaemon
import RolloutDelivery
import RolloutStore

extension DeliveryState: ExpressibleByArgument {}

/// `rolloutctl webhook …`: the endpoints notifications are POSTed to (DLV-1, DLV-5).
struct WebhookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Register, list, remove, rotate and test partners' webhook endpoints (DLV-1, DLV-5).",
        subcommands: [Add.self, List.self, Remove.self, RotateSecret.self, Test.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a webhook; prints its signing secret, once.",
            discussion: """
                Without --org the webhook receives the notifications addressed to the partner's admins; \
                with --org, those addressed to that organisation's customer admins. It receives only \
                notifications written after it is registered. The URL must be https, except to loopback \
                or a host in [delivery] allowed_hosts (DLV-5). Keep the secret: receivers verify the \
                webhook-signature header with it (docs/delivery.md).

                Examples:
                  rolloutctl webhook add --partner northwind \\
                      --url https://hooks.northwind.example/rolloutd
                  rolloutctl webhook add --partner northwind --org contoso \\
                      --url https://contoso.example/hooks \\
                      --kinds update_available,customer_programme_announced --json
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "The partner.") var partner: String
        @Option(help: "An organisation the partner manages: its customer admins' notifications.") var org: String?
        @Option(help: "The endpoint: https://…") var url: String
        @Option(help: ArgumentHelp("Only these notification kinds, comma-separated (default: all).", valueName: "K,…")) var kinds: String?
        @Flag(help: "Print JSON (fields in docs/cli.md).") var json = false

        func run() throws {
            let (configuration, store) = try options.openStore()
            do {
                _ = try TargetPolicy(configuration.delivery).check(url: url)
            } catch {
                printError("refused: \(error)")
                throw ExitCode.failure
            }
            let secret = WebhookSignature.generateSecret()
            let kindList = kinds.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            let webhook = try refusable {
                try store.addWebhook(partner: partner, organisation: org, url: url, kinds: kindList, secret: secret, now: Date())
            }
            if json { return try printJSON(WebhookWithSecret(webhook: webhook, secret: secret)) }
            print("webhook #\(webhook.id) for \(webhook.organisationID.map { "organisation \($0) of " } ?? "")partner \(webhook.partnerID): \(webhook.url)")
            print("secret: \(secret)")
            print("(shown once: give it to the receiver, which verifies the webhook-signature header with it)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List webhooks with their health (DLV-4); secrets are never shown.",
            discussion: """
                Examples:
                  rolloutctl webhook list
                  rolloutctl webhook list --partner northwind --json
                """)

        @OptionGroup var options: ConfigOptions
        @Option(help: "Only this partner's webhooks.") var partner: String?
        @Flag(help: "Print JSON (fields in docs/cli.md).") var json = false

        func run() throws {
            let (_, store) = try options.openStore(readOnly: true)
            let webhooks = try store.webhooks(partner: partner)
            if json { return try printJSON(webhooks) }
            printTable(columns: ["id", "partner", "org", "kinds", "state", "failures", "last success", "url"], rows: webhooks.map { hook in
                [String(hook.id), hook.partnerID, hook.organisationID ?? "-", hook.kinds?.joined(separator: ",") ?? "all",
                 hook.disabledAt == nil ? "enabled" : "disabled", String(hook.consecutiveFailures),
                 hook.lastSuccessAt.map(Instant.format) ?? "-", hook.url]
            })
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a webhook and its deliveries.",
            discussion: "Example:\n  rolloutctl webhook remove 3")

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The webhook's id (`webhook list`).") var id: Int64

        func run() throws {
            let (_, store) = try options.openStore()
            try refusable { try store.removeWebhook(id: id) }
            print("webhook #\(id) removed")
        }
    }

    struct RotateSecret: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Give a webhook a new secret; the old one keeps signing during the overlap (DLV-5).",
            discussion: """
                While the overlap lasts ([delivery] secret_overlap_hours, default 24, or --overlap-hours), \
                every request carries two signatures, one per secret, so the receiver can switch to \
                the new secret at any time in between. Prints the new secret, once.

                Examples:
                  rolloutctl webhook rotate-secret 3
                  rolloutctl webhook rotate-secret 3 --overlap-hours 72 --json
                """)

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The webhook's id.") var id: Int64
        @Option(help: "How long the old secret keeps signing, in hours (default: [delivery] secret_overlap_hours).") var overlapHours: Int?
        @Flag(help: "Print JSON (fields in docs/cli.md).") var json = false

        func validate() throws {
            if let overlapHours, !(0...720).contains(overlapHours) {
                throw ValidationError("--overlap-hours must be between 0 and 720")
            }
        }

        func run() throws {
            let (configuration, store) = try options.openStore()
            let secret = WebhookSignature.generateSecret()
            let until = Date().addingTimeInterval(TimeInterval((overlapHours ?? configuration.delivery.secretOverlapHours) * 3_600))
            let webhook = try refusable { try store.rotateWebhookSecret(id: id, newSecret: secret, overlapUntil: until) }
            if json { return try printJSON(WebhookWithSecret(webhook: webhook, secret: secret)) }
            print("webhook #\(webhook.id): new secret \(secret)")
            print("the previous secret also signs until \(Instant.format(until)); switch the receiver before then")
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a signed `ping` to a webhook now and print the answer.",
            discussion: """
                The ping goes through the same address checks, timeouts and signing as deliveries; \
                nothing is recorded. Exit status 0 on a 2xx answer, 1 otherwise.

                Example:
                  rolloutctl webhook test 3
                """)

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The webhook's id.") var id: Int64

        func run() async throws {
            let (configuration, store) = try options.openStore(readOnly: true)
            let (webhook, secrets) = try refusable { (try store.webhook(id: id), try store.signingSecrets(webhook: id, now: Date())) }
            let started = Date()
            let result = await WebhookPing.send(webhook, secrets: secrets, settings: configuration.delivery)
            let milliseconds = Int(Date().timeIntervalSince(started) * 1_000)
            if let error = result.error {
                printError("ping to webhook #\(id) \(webhook.url) failed after \(milliseconds) ms: \(error)")
                throw ExitCode.failure
            }
            print("ping to webhook #\(id) \(webhook.url): HTTP \(result.status ?? 0) in \(milliseconds) ms")
        }
    }
}

/// `rolloutctl deliveries`: what was, is being and could not be delivered (DLV-4).
struct DeliveriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries",
        abstract: "List webhook deliveries: pending, failed (retrying), dead-lettered, delivered (DLV-4).",
        discussion: """
            Newest first. A failed delivery shows its next attempt and last error; a dead one can be \
            sent again with `deliveries redeliver ID`.

            Examples:
              rolloutctl deliveries --state dead
              rolloutctl deliveries --partner northwind --state failed --json
              rolloutctl deliveries redeliver 42
            """,
        subcommands: [Redeliver.self])

    @OptionGroup var options: ConfigOptions
    @Option(help: "Only this partner's webhooks.") var partner: String?
    @Option(help: "Only deliveries in this state: pending, failed, dead or delivered.") var state: DeliveryState?
    @Option(help: "Show at most this many.") var limit: Int = 100
    @Flag(help: "Print JSON (fields in docs/cli.md).") var json = false

    func run() throws {
        let (_, store) = try options.openStore(readOnly: true)
        let records = try store.deliveries(partner: partner, state: state, limit: limit)
        if json { return try printJSON(records) }
        printTable(columns: ["id", "webhook", "partner", "kind", "state", "attempts", "next attempt", "last", "webhook-id"], rows: records.map { record in
            let last = record.lastStatus.map { "HTTP \($0)" } ?? record.lastError.map { String($0.prefix(40)) } ?? "-"
            return [String(record.id), String(record.webhookID), record.partnerID, record.kind, record.state.rawValue, String(record.attempts),
                    record.nextAttemptAt.map(Instant.format) ?? "-", last, record.webhookMessageID]
        })
    }

    struct Redeliver: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a failed or dead delivery again now, with a fresh retry schedule.",
            discussion: """
                The request carries the same webhook-id as before, so a receiver that did get it can \
                tell. A delivered one is refused: a 2xx is final (DLV-2).

                Example:
                  rolloutctl deliveries redeliver 42
                """)

        @OptionGroup var options: ConfigOptions
        @Argument(help: "The delivery's id (`rolloutctl deliveries`).") var id: Int64

        func run() throws {
            let (_, store) = try options.openStore()
            let record = try refusable { try store.redeliver(id: id, now: Date()) }
            print("delivery #\(record.id) (\(record.webhookMessageID)) to webhook #\(record.webhookID) is pending again")
        }
    }
}
