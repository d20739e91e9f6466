// swift-tools-version:6.1
// Performance benchmarks, kept apart so the test suite never builds the benchmark package.
// Run everything: scripts/bench (from the repository root). Micro-benchmarks alone:
// cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "rolloutd-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "rolloutd", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "WakeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RolloutCore", package: "rolloutd"),
                .product(name: "RolloutStore", package: "rolloutd"),
                .product(name: "RolloutEngine", package: "rolloutd"),
                .product(name: "RolloutDaemon", package: "rolloutd"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/WakeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The issue #8 table at 1M endpoints, against plain SQL in the same run (scripts/bench).
        .executableTarget(
            name: "EngineTable",
            dependencies: [
                .product(name: "RolloutCore", package: "rolloutd"),
                .product(name: "RolloutStore", package: "rolloutd"),
                .product(name: "RolloutEngine", package: "rolloutd"),
                .product(name: "RolloutDaemon", package: "rolloutd"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/EngineTable"
        ),
    ]
)
