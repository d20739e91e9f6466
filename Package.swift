// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "rolloutd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rolloutd", targets: ["rolloutd"]),
        .executable(name: "rolloutctl", targets: ["rolloutctl"]),
        // Libraries for the separate Benchmarks/ package; not a stable API.
        .library(name: "RolloutCore", targets: ["RolloutCore"]),
        .library(name: "RolloutStore", targets: ["RolloutStore"]),
        .library(name: "RolloutEngine", targets: ["RolloutEngine"]),
        .library(name: "RolloutDaemon", targets: ["RolloutDaemon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        // async-http-client's own NIO, named because the deliverer uses NIOCore's types directly.
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
    ],
    targets: [
        // Pure core: calendar, rules, decisions. No I/O, no clock of its own.
        .target(name: "RolloutCore"),
        // SQLite store: schema, migrations, state documents, typed rows, shared SQL conditions.
        .target(
            name: "RolloutStore",
            dependencies: [
                "RolloutCore", .product(name: "GRDB", package: "GRDB.swift"),
                // SHA-256 of API token secrets (API-1).
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The engine: the rules applied at wakes (one transaction each), and the requests that
        // the CLI and the API server make of them.
        .target(
            name: "RolloutEngine",
            dependencies: ["RolloutCore", "RolloutStore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // libsystemd, for sd_journal_sendv and sd_notify.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // The systemd edge: journal log handler, service notifications.
        .target(
            name: "RolloutSystemd",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")]
        ),
        // Configuration and the daemon's loop, shared by both executables.
        .target(
            name: "RolloutDaemon",
            dependencies: [
                "RolloutCore", "RolloutStore", "RolloutEngine", "RolloutSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Webhook delivery (DLV-1…5): the outbox read in id order, signed POSTs, retries, health.
        // The only part of rolloutd that talks to the network, run as `rolloutd deliver`.
        .target(
            name: "RolloutDelivery",
            dependencies: [
                "RolloutCore", "RolloutStore", "RolloutSystemd", "RolloutDaemon",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The integration API (SPEC §8): `rolloutd serve`, a process of its own on Hummingbird.
        .target(
            name: "RolloutAPI",
            dependencies: [
                "RolloutCore", "RolloutStore", "RolloutEngine", "RolloutDaemon", "RolloutDelivery",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The contract the server serves is docs/openapi.json itself (a symlink), compiled in (API-5).
            resources: [.embedInCode("Resources/openapi.json")]
        ),
        .executableTarget(
            name: "rolloutd",
            dependencies: [
                "RolloutDaemon", "RolloutEngine", "RolloutDelivery", "RolloutAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "rolloutctl",
            dependencies: [
                "RolloutDaemon", "RolloutEngine", "RolloutDelivery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RolloutCoreTests", dependencies: ["RolloutCore"]),
        .testTarget(name: "RolloutStoreTests", dependencies: ["RolloutStore"]),
        // Differential tests: the core's per-entity models against the engine's set-based SQL.
        .testTarget(
            name: "RolloutEngineTests",
            dependencies: [
                "RolloutCore", "RolloutStore", "RolloutEngine",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "RolloutSystemdTests", dependencies: ["RolloutSystemd"]),
        .testTarget(
            name: "RolloutDaemonTests",
            dependencies: [
                "RolloutDaemon", "RolloutEngine",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "RolloutDeliveryTests",
            dependencies: ["RolloutDelivery", "RolloutStore", "RolloutDaemon", "RolloutEngine", "RolloutCore",
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "RolloutAPITests",
            dependencies: [
                "RolloutAPI", "RolloutCore", "RolloutStore", "RolloutEngine", "RolloutDaemon",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)

// Every target of the project (and any added later): existentials are spelled `any`, and a
// module's imports are internal unless its public API exposes them (`public import`), so what
// each module depends on is declared, not leaked (as hummingbird does).
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ]
}
