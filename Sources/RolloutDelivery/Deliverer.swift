import Foundation
public import Logging
import RolloutCore
public import RolloutDaemon
public import RolloutStore
public import RolloutSystemd
import Synchronization

/// `rolloutd deliver` (DLV-1…5): the process that POSTs the outbox to webhooks.
///
/// It reads the outbox in id order past its cursor and makes one delivery per webhook in scope,
/// then sends what is due. The store only ever sees short transactions from it — a read to find
/// work, a small write to create deliveries or record a batch of outcomes — so a wake is never
/// slowed or blocked (DLV-3). Each webhook has its own queue: at most `per_endpoint_concurrency`
/// requests in flight and its own connections, so a slow or dead receiver holds only its own
/// slots. An attempt's outcome is committed before the delivery can be picked again; a 2xx is
/// recorded as delivered in that same transaction and the delivery is never sent again (DLV-2).
/// A crash between a 2xx and that commit repeats the request once, with the same `webhook-id`.
public final class Deliverer: Sendable {
    private let store: Store
    private let settings: Configuration.Delivery
    private let sender: WebhookSender
    private let schedule: RetrySchedule
    private let notifier: ServiceNotifier
    private let logger: Logger
    /// Answered attempts whose outcome is not committed yet, for the recorder.
    private let completed = Mutex<[DeliveryOutcome]>([])
    /// Outcomes the recorder committed, for the loop to free and count.
    private let committed = Mutex<(outcomes: [DeliveryOutcome], recorded: RecordedOutcomes)>(([], RecordedOutcomes()))
    /// HTTP requests in flight per webhook: what `per_endpoint_concurrency` bounds.
    private let requests = Mutex<[Int64: Int]>([:])
    private let doorbell = Doorbell()
    private let recorderBell = Doorbell()
    /// How long a round may last before its summary is written, however busy the deliverer is.
    private let roundLength: Duration = .seconds(10)

    public init(configuration: Configuration, store: Store, notifier: ServiceNotifier, logger: Logger) {
        self.store = store
        settings = configuration.delivery
        sender = WebhookSender(settings: configuration.delivery)
        schedule = RetrySchedule(firstRetry: TimeInterval(settings.firstRetrySeconds),
                                 maxInterval: TimeInterval(settings.maxRetryIntervalSeconds),
                                 giveUpAfter: TimeInterval(settings.giveUpAfterSeconds))
        self.notifier = notifier
        self.logger = logger
    }

    /// Runs until the task is cancelled (SIGTERM); requests in flight are abandoned unrecorded
    /// (they are sent again, with the same `webhook-id`), answered ones are recorded first.
    ///
    /// Two loops: this one reads the outbox and sends, the recorder commits outcomes in batches.
    /// A request's slot is free as soon as it is answered, so a slow disk (each commit waits for
    /// fsync) delays the bookkeeping, never the sending; a delivery stays out of the next
    /// selection until its outcome is committed.
    public func run() async {
        var state = LoopState()
        await withDiscardingTaskGroup { group in
            group.addTask { [self] in
                while !Task.isCancelled {
                    await recorderBell.wait(upTo: .milliseconds(settings.pollIntervalMilliseconds))
                    if !recordCompleted() { try? await Task.sleep(for: .seconds(1)) }
                }
            }
            while !Task.isCancelled {
                do {
                    try step(&state) { due in
                        requests.withLock { $0[due.webhookID, default: 0] += 1 }
                        group.addTask { [self] in
                            let outcome = await attempt(due)
                            requests.withLock { $0[due.webhookID, default: 1] -= 1 }
                            guard !Task.isCancelled else { return }
                            completed.withLock { $0.append(outcome) }
                            recorderBell.ring()
                            doorbell.ring()
                        }
                    }
                    for queued in try store.claimQueuedPings(now: Date()) {
                        group.addTask { [self] in await ping(queued) }
                    }
                } catch {
                    // The store is busy past its timeout or failing: nothing is lost (outcomes stay
                    // queued, the outbox stays unread), so wait a little and try again.
                    logger.warning("delivery paused for a second: \(error)", metadata: ["rollout.database": "\(store.path)"])
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                await doorbell.wait(upTo: state.moreToFanOut ? .zero : .milliseconds(settings.pollIntervalMilliseconds))
            }
            group.cancelAll()
        }
        recordCompleted()
        absorbCommitted(&state)
        let unrecorded = completed.withLock { $0.count }
        if unrecorded > 0 {
            logger.warning("\(unrecorded) outcome(s) not recorded at stop; those deliveries will be sent again, with the same webhook-id")
        }
        finishRound(&state, force: true)
        await sender.shutdown()
    }

    // MARK: One turn of the loop

    private struct LoopState {
        /// Sent and not yet committed, per webhook: left out of the next selection.
        var inFlight: [Int64: Set<Int64>] = [:]
        var inFlightCount: Int { inFlight.values.reduce(0) { $0 + $1.count } }
        var moreToFanOut = false
        var round: Round?
        var lastStatus: ContinuousClock.Instant?
        var lastPing: ContinuousClock.Instant?
    }

    /// What one round did, for its journal summary (DLV-4).
    private struct Round {
        let started = ContinuousClock.now
        var attempts = 0
        var recorded = RecordedOutcomes()
        var failingWebhooks: Set<Int64> = []
    }

    private func step(_ state: inout LoopState, dispatch: (DueDelivery) -> Void) throws {
        absorbCommitted(&state)
        let now = Date()
        let fanOut = try store.fanOutDeliveries(now: now)
        state.moreToFanOut = fanOut.more
        let due = try store.dueDeliveries(now: now, capacity: settings.perEndpointConcurrency, busy: requests.withLock { $0 },
                                          excluding: state.inFlight)
        if !due.isEmpty, state.round == nil { state.round = Round() }
        for delivery in due {
            state.inFlight[delivery.webhookID, default: []].insert(delivery.id)
            state.round?.attempts += 1
            dispatch(delivery)
        }
        finishRound(&state, force: false)
        updateStatus(&state)
        // WATCHDOG=1 from the loop itself, at most once a second: a hung loop stops the pings.
        if state.lastPing.map({ ContinuousClock.now - $0 >= .seconds(1) }) ?? true {
            state.lastPing = ContinuousClock.now
            notifier.watchdogPing()
        }
    }

    /// The recorder's turn: commits the answered attempts in one transaction. Returns false when
    /// the store is busy past its timeout; the outcomes stay queued (their deliveries unselected).
    @discardableResult
    private func recordCompleted() -> Bool {
        let outcomes = completed.withLock { outcomes in
            defer { outcomes.removeAll() }
            return outcomes
        }
        guard !outcomes.isEmpty else { return true }
        do {
            let recorded = try store.recordOutcomes(outcomes)
            committed.withLock {
                $0.outcomes += outcomes
                $0.recorded.delivered += recorded.delivered
                $0.recorded.retried += recorded.retried
                $0.recorded.dead += recorded.dead
                $0.recorded.disabled += recorded.disabled
            }
            doorbell.ring()
            return true
        } catch {
            logger.warning("cannot record \(outcomes.count) delivery outcome(s) yet, retrying: \(error)")
            completed.withLock { $0.insert(contentsOf: outcomes, at: 0) }
            return false
        }
    }

    /// The loop's side: committed deliveries may be selected again, and count in the round.
    private func absorbCommitted(_ state: inout LoopState) {
        let (outcomes, recorded) = committed.withLock { batch in
            defer { batch = ([], RecordedOutcomes()) }
            return batch
        }
        for outcome in outcomes {
            state.inFlight[outcome.webhookID]?.remove(outcome.deliveryID)
            if state.inFlight[outcome.webhookID]?.isEmpty == true { state.inFlight[outcome.webhookID] = nil }
            if outcome.result != .delivered { state.round?.failingWebhooks.insert(outcome.webhookID) }
        }
        state.round?.recorded.delivered += recorded.delivered
        state.round?.recorded.retried += recorded.retried
        state.round?.recorded.dead += recorded.dead
        state.round?.recorded.disabled += recorded.disabled
        for disabled in recorded.disabled { logDisabled(disabled) }
    }

    /// One attempt: sign, POST, and decide what the answer means (DLV-2).
    private func attempt(_ due: DueDelivery) async -> DeliveryOutcome {
        let body: Data
        do {
            body = try WebhookPayload.notification(due.notification).encoded()
        } catch {
            return outcome(due, status: nil, error: "cannot encode the payload: \(error)", at: Date())
        }
        let result = await sender.send(webhook: due.webhookID, url: due.url, messageID: due.notification.idempotencyKey,
                                       body: body, secrets: due.secrets.all)
        return outcome(due, status: result.status, error: result.error, at: Date())
    }

    /// A ping queued through the API: sent like `rolloutctl webhook test` sends one, its answer
    /// recorded for the partner to read (`GET /v1/partners/{p}/webhooks`).
    private func ping(_ queued: PingToSend) async {
        let result = await WebhookPing.send(queued.webhook, secrets: queued.secrets, through: sender)
        do {
            try store.recordPing(id: queued.ping.id, status: result.status, error: result.error)
        } catch {
            logger.warning("cannot record the answer to ping #\(queued.ping.id) of webhook #\(queued.webhook.id): \(error)")
        }
    }

    private func outcome(_ due: DueDelivery, status: Int?, error: String?, at: Date) -> DeliveryOutcome {
        let result: DeliveryOutcome.Result = switch status {
        case .some(200...299): .delivered
        case .some(410): .gone
        default: schedule.afterFailure(attempts: due.attempts + 1, retryFrom: due.retryFrom, now: at, unit: Double.random(in: 0..<1))
        }
        return DeliveryOutcome(deliveryID: due.id, webhookID: due.webhookID, attemptedAt: at, status: status, error: error, result: result)
    }

    // MARK: Journal and STATUS=

    /// One summary per round (DLV-4): a round ends when nothing is in flight or due, or after
    /// `roundLength` of continuous work. Never one entry per delivery at the default level.
    private func finishRound(_ state: inout LoopState, force: Bool) {
        guard let round = state.round else { return }
        let idle = state.inFlightCount == 0 && !state.moreToFanOut
        guard force || idle || ContinuousClock.now - round.started >= roundLength else { return }
        state.round = idle ? nil : Round()
        guard round.attempts > 0 else { return }
        let elapsed = ContinuousClock.now - round.started
        let milliseconds = elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        let r = round.recorded
        let level: Logger.Level = r.dead > 0 || !r.disabled.isEmpty ? .warning : .info
        let text = "delivery round: \(round.attempts) attempt(s), \(r.delivered) delivered, \(r.retried) to retry, \(r.dead) dead-lettered"
            + (r.disabled.isEmpty ? "" : ", \(r.disabled.count) webhook(s) disabled") + " in \(milliseconds) ms"
        logger.log(level: level, "\(text)", metadata: [
            "MESSAGE_ID": "\(JournalMessage.deliveryRound.id)",
            "rollout.attempts": "\(round.attempts)",
            "rollout.delivered": "\(r.delivered)",
            "rollout.retried": "\(r.retried)",
            "rollout.dead": "\(r.dead)",
            "rollout.disabled": "\(r.disabled.map { String($0.webhook) }.joined(separator: ","))",
            "rollout.failing_webhooks": "\(round.failingWebhooks.sorted().map(String.init).joined(separator: ","))",
            "rollout.duration_ms": "\(milliseconds)",
        ])
    }

    /// `410 Gone` disabled a webhook: the operator is told, once (DLV-2).
    private func logDisabled(_ disabled: RecordedOutcomes.Disabled) {
        let webhook = try? store.webhook(id: disabled.webhook)
        var metadata: Logger.Metadata = [
            "MESSAGE_ID": "\(JournalMessage.webhookDisabled.id)",
            "rollout.webhook": "\(disabled.webhook)",
            "rollout.dead": "\(disabled.deadLetters)",
        ]
        if let webhook {
            metadata["rollout.partner"] = "\(webhook.partnerID)"
            metadata["rollout.url"] = "\(webhook.url)"
            if let organisation = webhook.organisationID { metadata["rollout.org"] = "\(organisation)" }
        }
        logger.warning("webhook #\(disabled.webhook) \(webhook?.url ?? "") answered 410 Gone: disabled, \(disabled.deadLetters) open delivery(ies) dead-lettered",
                       metadata: metadata)
    }

    /// STATUS= (DLV-4): per-endpoint health, refreshed every few seconds.
    private func updateStatus(_ state: inout LoopState) {
        let now = ContinuousClock.now
        if let last = state.lastStatus, now - last < .seconds(2) { return }
        state.lastStatus = now
        guard let health = try? store.webhookHealth() else { return }
        notifier.status(Self.statusText(health, now: Date()))
    }

    /// `webhooks 3 (1 disabled); pending 4, failed 2, dead 1; #2 https://… 5 failure(s), oldest pending 120 s`.
    static func statusText(_ health: [WebhookHealth], now: Date) -> String {
        let disabled = health.filter { !$0.enabled }.count
        var parts = ["webhooks \(health.count)" + (disabled > 0 ? " (\(disabled) disabled)" : ""),
                     "pending \(health.map(\.pending).reduce(0, +)), failed \(health.map(\.failed).reduce(0, +)), "
                     + "dead \(health.map(\.dead).reduce(0, +)), delivered \(health.map(\.delivered).reduce(0, +))"]
        for endpoint in health where endpoint.enabled && (endpoint.consecutiveFailures > 0 || endpoint.oldestPendingAt != nil) {
            var text = "#\(endpoint.webhookID)"
            if endpoint.consecutiveFailures > 0 { text += " \(endpoint.consecutiveFailures) failure(s)" }
            if let success = endpoint.lastSuccessAt { text += ", last success \(Instant.format(success))" }
            if let oldest = endpoint.oldestPendingAt { text += ", oldest pending \(Int(now.timeIntervalSince(oldest))) s" }
            parts.append(text)
        }
        return parts.joined(separator: "; ")
    }
}

/// Wakes the loop when an attempt finishes, or after a timeout, whichever comes first.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    func wait(upTo timeout: Duration) async {
        guard timeout > .zero else { return }
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            ring()
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if state.rung {
                    state.rung = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}

/// `rolloutctl webhook test` (DLV-1): one signed `ping`, sent now, with the deliverer's policy,
/// timeouts and signature; nothing is recorded.
public enum WebhookPing {
    /// The HTTP status (nil when no answer came) and, unless it is a 2xx, why it failed.
    public static func send(_ webhook: Webhook, secrets: SigningSecrets, settings: Configuration.Delivery) async -> (status: Int?, error: String?) {
        let sender = WebhookSender(settings: settings)
        let result = await send(webhook, secrets: secrets, through: sender)
        await sender.shutdown()
        return result
    }

    static func send(_ webhook: Webhook, secrets: SigningSecrets, through sender: WebhookSender) async -> (status: Int?, error: String?) {
        let now = Date()
        let body: Data
        do {
            body = try WebhookPayload.ping(webhook: webhook, at: now).encoded()
        } catch {
            return (nil, "cannot encode the ping: \(error)")
        }
        let result = await sender.send(webhook: webhook.id, url: webhook.url, messageID: "ping|webhook:\(webhook.id)|\(Instant.seconds(now))",
                                       body: body, secrets: secrets.all)
        return (result.status, result.error)
    }
}
