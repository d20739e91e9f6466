import AsyncHTTPClient
import Foundation
import NIOCore
import RolloutCore
import RolloutDaemon
import Synchronization

/// Sends signed webhook requests (DLV-1, DLV-2, DLV-5). One HTTP client per webhook, so each
/// endpoint has its own connection pool and a slow one cannot starve the others of
/// connections (DLV-3); each client connects only to the address the policy checked (its host
/// is pinned to that address, TLS still verifies the name). Redirects are not followed;
/// connecting and the whole attempt are bounded; at most `response_body_limit_bytes` of an answer
/// is read.
final class WebhookSender: Sendable {
    /// What one attempt came to.
    struct Attempt: Sendable {
        /// The HTTP status, nil when no answer came.
        let status: Int?
        /// Why it is not a success, for the operator.
        let error: String?

        var succeeded: Bool { status.map { (200...299).contains($0) } ?? false }
    }

    private struct Pinned {
        let address: IPAddress
        let resolvedAt: ContinuousClock.Instant
        let client: HTTPClient
    }

    private let settings: Configuration.Delivery
    private let policy: TargetPolicy
    private let clients = Mutex<[Int64: Pinned]>([:])
    /// How long a resolved address is used before the name is resolved again.
    private let resolutionLifetime: Duration = .seconds(30)

    init(settings: Configuration.Delivery) {
        self.settings = settings
        policy = TargetPolicy(settings)
    }

    /// POSTs `body` to the webhook's URL with the Standard Webhooks headers, signed now.
    func send(webhook: Int64, url: String, messageID: String, body: Data, secrets: [String]) async -> Attempt {
        let client: HTTPClient
        do {
            client = try await pinnedClient(webhook: webhook, url: url)
        } catch {
            return Attempt(status: nil, error: error.description)
        }
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        do {
            request.headers.add(name: "webhook-signature",
                                value: try WebhookSignature.header(id: messageID, timestamp: timestamp, body: body, secrets: secrets))
        } catch {
            return Attempt(status: nil, error: error.description)
        }
        request.headers.add(name: "webhook-id", value: messageID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "rolloutd-deliver")
        request.body = .bytes(ByteBuffer(bytes: body))
        let started = ContinuousClock.now
        let total = Duration.seconds(settings.requestTimeoutSeconds)
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(settings.requestTimeoutSeconds)))
            let status = Int(response.status.code)
            var text = ""
            var remaining = settings.responseBodyLimitBytes
            for try await chunk in response.body {
                if remaining > 0 {
                    text += String(decoding: chunk.readableBytesView.prefix(remaining), as: UTF8.self)
                    remaining -= min(remaining, chunk.readableBytes)
                }
                if remaining == 0 || ContinuousClock.now - started > total { break }
            }
            if (200...299).contains(status) { return Attempt(status: status, error: nil) }
            let snippet = text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200)
            let redirect = (300...399).contains(status) ? " (redirects are not followed; register the final URL)" : ""
            return Attempt(status: status, error: "HTTP \(status)\(redirect)" + (snippet.isEmpty ? "" : ": \(snippet)"))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return Attempt(status: nil, error: "timed out after \(Self.seconds(ContinuousClock.now - started)) s (\(error))")
        } catch {
            return Attempt(status: nil, error: "\(error)")
        }
    }

    /// The webhook's client, pinned to a checked address of its host; re-resolved after
    /// `resolutionLifetime`, and replaced when the address changed.
    private func pinnedClient(webhook: Int64, url: String) async throws(TargetPolicy.Refusal) -> HTTPClient {
        let target = try policy.check(url: url)
        let now = ContinuousClock.now
        if let pinned = clients.withLock({ $0[webhook] }), now - pinned.resolvedAt < resolutionLifetime {
            return pinned.client
        }
        let address = try await policy.resolve(target)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(Int64(settings.connectTimeoutSeconds)), read: .seconds(Int64(settings.requestTimeoutSeconds))))
        configuration.connectionPool = .init(idleTimeout: .seconds(60),
                                             concurrentHTTP1ConnectionsPerHostSoftLimit: settings.perEndpointConcurrency)
        configuration.dnsOverride = [target.host: address.description]
        let (client, retired) = clients.withLock { clients -> (HTTPClient, HTTPClient?) in
            if let pinned = clients[webhook], pinned.address == address {
                clients[webhook] = Pinned(address: address, resolvedAt: now, client: pinned.client)
                return (pinned.client, nil)
            }
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            let retired = clients[webhook]?.client
            clients[webhook] = Pinned(address: address, resolvedAt: now, client: client)
            return (client, retired)
        }
        if let retired { Task { try? await retired.shutdown() } }
        return client
    }

    /// Closes every connection; call once, when the deliverer stops.
    func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients.removeAll() }
            return clients.values.map(\.client)
        }
        for client in all { try? await client.shutdown() }
    }

    private static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
