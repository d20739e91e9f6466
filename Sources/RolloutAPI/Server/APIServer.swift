public import Foundation
import Hummingbird
public import Logging
import NIOCore
public import RolloutDaemon
public import RolloutStore
import RolloutEngine

/// `rolloutd serve` (SPEC §8): the integration API, a process of its own beside the scheduler.
/// It shares the scheduler's database (WAL: its reads never wait for a wake) and decides
/// nothing by itself: every write is an engine call the CLI makes too, and check-ins pass
/// through the inbox so that they are answered while a wake holds the write lock (API-6).
public struct APIServer: Sendable {
    let services: Services
    let host: String
    let port: Int
    let idleTimeout: Int
    let drainInterval: Duration
    let logger: Logger

    /// - Parameters:
    ///   - port: overrides the configured port; 0 lets the system pick one (tests).
    ///   - drainInterval: how long the inbox drainer rests when the inbox is empty or the database busy.
    ///   - now: the clock requests are stamped with.
    public init(configuration: RolloutDaemon.Configuration, store: Store, inboxPath: String, port: Int? = nil,
                drainInterval: Duration = .milliseconds(200), logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) throws {
        services = Services(
            store: store, blocking: Blocking.start(), inbox: try CheckInInbox(path: inboxPath), usage: TokenUsage(),
            rules: LoopSettings(configuration).rules,
            limits: BodyLimits(maxBytes: configuration.api.maxBodyBytes, timeoutSeconds: configuration.api.requestTimeoutSeconds),
            checkInInterval: TimeInterval(configuration.api.checkInIntervalSeconds), delivery: configuration.delivery, now: now)
        host = configuration.api.host
        self.port = port ?? configuration.api.port
        idleTimeout = configuration.api.requestTimeoutSeconds * 3
        self.drainInterval = drainInterval
        self.logger = logger
    }

    /// Serves until the task is cancelled or the process receives SIGTERM/SIGINT; the inbox is
    /// drained meanwhile. `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router(context: APIContext.self)
        router.add(middleware: ProblemMiddleware(routes: RouteTable(contract: PackageResources.openapi_json)))
        router.add(middleware: Authentication(services: services))
        HealthRoutes(services: services).add(to: router)
        AgentRoutes(services: services).add(to: router)
        OrganisationRoutes(services: services).add(to: router)
        PartnerRoutes(services: services).add(to: router)
        ChangeRoutes(services: services).add(to: router)
        ReleaseRoutes(services: services).add(to: router)
        ProgrammeRoutes(services: services).add(to: router)
        NotificationRoutes(services: services).add(to: router)
        OrderRoutes(services: services).add(to: router)
        HistoryRoutes(services: services).add(to: router)
        ControlRoutes(services: services).add(to: router)
        WebhookRoutes(services: services).add(to: router)

        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(idleTimeout)))),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let services = services, logger = logger, interval = drainInterval
        let drainer = Task {
            await services.inbox.drainContinuously(into: services.store, blocking: services.blocking, usage: services.usage,
                                                   interval: interval, logger: logger)
        }
        defer { drainer.cancel() }
        try await app.runService()
        drainer.cancel()
        // What was accepted before the stop is committed before the process ends, when it can be.
        _ = try? await services.inbox.drain(into: services.store, blocking: services.blocking, usage: services.usage, limit: 100_000)
        try await services.blocking.shutdown()
    }

    /// Moves every waiting check-in into the database now (tests, and the end of `run`).
    public func drainInbox() async throws {
        while try await services.inbox.drain(into: services.store, blocking: services.blocking, usage: services.usage, limit: 5_000) > 0 {}
    }
}
