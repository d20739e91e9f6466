import GRDB
import NIOPosix
import RolloutStore
import RolloutEngine

/// Runs the store's synchronous calls off Swift's cooperative pool, which has one thread per
/// core: a write waiting for the scheduler's lock must not stall every other request (API-6).
/// Reads and writes have pools of their own, so waiting writers never starve readers.
struct Blocking: Sendable {
    let reads: NIOThreadPool
    let writes: NIOThreadPool

    static func start() -> Blocking {
        let blocking = Blocking(reads: NIOThreadPool(numberOfThreads: 4), writes: NIOThreadPool(numberOfThreads: 2))
        blocking.reads.start()
        blocking.writes.start()
        return blocking
    }

    func shutdown() async throws {
        try await reads.shutdownGracefully()
        try await writes.shutdownGracefully()
    }

    func read<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await run(on: reads, body)
    }

    /// A write through the store; a lock held past the busy timeout (a long wake) becomes a 503
    /// the caller may retry, never a 500 (API-6).
    func write<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await run(on: writes, body)
    }

    private func run<T: Sendable>(on pool: NIOThreadPool, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await pool.runIfActive(body)
        } catch let error as StoreError {
            throw Problem.from(error)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            throw Problem.busy("the database is busy with a wake")
        }
    }
}
