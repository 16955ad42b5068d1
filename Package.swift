// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "roost",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "roost", targets: ["roost"]),
        .executable(name: "roost-bench", targets: ["roost-bench"]),
        .library(name: "MQTTCore", targets: ["MQTTCore"]),
        // The codec's fixture tables, for the fuzzer's first corpus (Fuzz/).
        .library(name: "MQTTFixtures", targets: ["MQTTFixtures"]),
        .library(name: "MQTTHooks", targets: ["MQTTHooks"]),
        .library(name: "MQTTBroker", targets: ["MQTTBroker"]),
        .library(name: "MQTTClient", targets: ["MQTTClient"]),
        .library(name: "RoostServer", targets: ["RoostServer"]),
        // A Swift client for apps: generated from Sources/RoostAPI/openapi.json, plus login,
        // refresh, typed errors and a live event stream.
        .library(name: "RoostClient", targets: ["RoostClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(
            url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-openapi-urlsession.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // Packet codec: no I/O, NIOCore only.
        .target(name: "MQTTCore", dependencies: [nio("NIOCore")], swiftSettings: swiftSettings),
        // Raw-byte packet fixtures (valid and malformed) shared by codec and broker tests.
        .target(name: "MQTTFixtures", dependencies: ["MQTTCore", nio("NIOCore")], swiftSettings: swiftSettings),
        // What the broker's plug-ins see: client identities, the hook protocols, messages and the
        // persistence protocol. The domain and the stores depend on this, not on the broker.
        .target(
            name: "MQTTHooks",
            dependencies: ["MQTTCore", nio("NIOCore")],
            swiftSettings: swiftSettings
        ),
        // The broker: listeners, sessions, topic trie, ACL file, the gate every publish passes.
        .target(
            name: "MQTTBroker",
            dependencies: [
                "MQTTCore", "MQTTHooks", nio("NIOCore"), nio("NIOPosix"), nio("NIOConcurrencyHelpers"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Async/await MQTT client.
        .target(
            name: "MQTTClient",
            dependencies: [
                "MQTTCore", nio("NIOCore"), nio("NIOPosix"), nio("NIOHTTP1"), nio("NIOWebSocket"),
                nio("NIOConcurrencyHelpers"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The web dashboard: HTML, CSS and ES modules as resources, no build step.
        .target(name: "RoostDashboard", resources: [.copy("Assets")], swiftSettings: swiftSettings),
        // JSON values, the parser and the raw writer: a leaf every layer may use.
        .target(name: "RoostJSON", swiftSettings: swiftSettings),
        // Storage protocols and records shared by the SQLite and PostgreSQL stores.
        .target(
            name: "RoostStore",
            dependencies: ["RoostJSON", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Domain: topic templates and presets, payload normalisation, the ingest pipeline.
        .target(
            name: "RoostCore",
            dependencies: [
                "MQTTCore", "MQTTHooks", "RoostJSON", "RoostStore", nio("NIOCore"), nio("NIOConcurrencyHelpers"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // SQLite storage. Its direct connections use SQLite's C API (VaporCSQLite), which comes
        // with the SQLiteNIO product: sqlite-nio declares no product of its own for it.
        .target(
            name: "RoostSQLite",
            dependencies: [
                "MQTTHooks", "MQTTCore", "RoostStore", nio("NIOCore"), nio("NIOPosix"), nio("NIOConcurrencyHelpers"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL storage: the same protocols as RoostSQLite, for production and many nodes.
        .target(
            name: "RoostPostgres",
            dependencies: [
                "MQTTHooks", "RoostStore", nio("NIOCore"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP server: the REST API, auth, OpenAPI document, metrics, MQTT over WebSocket.
        .target(
            name: "RoostAPI",
            dependencies: [
                "MQTTBroker", "MQTTCore", "RoostCore", "RoostDashboard", "RoostJSON", "RoostStore",
                nio("NIOCore"), nio("NIOPosix"), nio("NIOConcurrencyHelpers"), nio("NIOWebSocket"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("openapi.json")],
            swiftSettings: swiftSettings
        ),
        // The server assembled: settings, stores, and every part in one service group. The
        // executable and every test server are built by its buildApplication.
        .target(
            name: "RoostServer",
            dependencies: [
                "MQTTBroker", "MQTTClient", "MQTTCore", "RoostAPI", "RoostCore", "RoostPostgres", "RoostSQLite",
                "RoostStore", nio("NIOCore"), nio("NIOPosix"), nio("NIOConcurrencyHelpers"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // The commands that drive a running server over its API and realtime WebSocket
        // (`roost login`, `tail`, `command send`, `export`, `device list`, …).
        .target(
            name: "RoostCLI",
            dependencies: [
                nio("NIOCore"), nio("NIOHTTP1"), nio("NIOWebSocket"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // RoostClient: Generated/ comes from swift-openapi-generator (scripts/generate-client);
        // URLSession on Apple platforms, async-http-client elsewhere.
        .target(
            name: "RoostClient",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(
                    name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client",
                    condition: .when(platforms: [.linux, .windows, .android])),
                .product(
                    name: "OpenAPIURLSession", package: "swift-openapi-urlsession",
                    condition: .when(platforms: [.macOS, .iOS, .tvOS, .watchOS, .visionOS])),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                nio("NIOWebSocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            exclude: ["Generated/openapi.sha256"],
            // The generated code writes `public import` on every file; only ExistentialAny here.
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        // `roost`: the command line, no server wiring of its own.
        .executableTarget(
            name: "roost",
            dependencies: [
                "MQTTClient", "MQTTCore", "RoostCLI", "RoostCore", "RoostServer", "RoostStore",
                nio("NIOCore"), nio("NIOPosix"), nio("NIOConcurrencyHelpers"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `roost-bench` (also run as `roost bench`): load generator, store ceilings, layout study.
        .executableTarget(
            name: "roost-bench",
            dependencies: [
                "MQTTClient", "MQTTCore", "RoostCore", "RoostPostgres", "RoostSQLite", "RoostStore",
                nio("NIOCore"), nio("NIOPosix"), nio("NIOConcurrencyHelpers"), nio("NIOHTTP1"), nio("NIOWebSocket"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            path: "Sources/RoostBench",
            swiftSettings: swiftSettings
        ),
        // What the test targets share: running programs no one here wrote (posix_spawn).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "MQTTCoreTests",
            dependencies: ["MQTTCore", "MQTTFixtures", nio("NIOCore")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostCoreTests",
            dependencies: ["RoostCore", "RoostJSON", "RoostStore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostServerTests",
            dependencies: ["RoostServer", "RoostCore", "MQTTBroker", "MQTTCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostStoreTests",
            dependencies: [
                "RoostStore", "RoostCore", "RoostSQLite", "RoostPostgres", "MQTTBroker", "MQTTCore", nio("NIOCore"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostAPITests",
            dependencies: [
                "RoostAPI", "RoostCore", "RoostJSON", "RoostServer", "RoostStore", "RoostPostgres", "RoostSQLite", "MQTTBroker",
                "MQTTClient", "MQTTCore", "RoostClient", "TestSupport", nio("NIOCore"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MQTTBrokerTests",
            dependencies: [
                "MQTTBroker", "MQTTClient", "MQTTCore", "MQTTFixtures", "RoostCore", "RoostJSON", "RoostServer", "RoostSQLite",
                "RoostStore", "TestSupport", nio("NIOCore"), nio("NIOPosix"), nio("NIOConcurrencyHelpers"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            // Python peers the tests run (paho-mqtt), found by path.
            exclude: ["Peers"],
            swiftSettings: swiftSettings
        ),
    ]
)

/// A product of swift-nio.
func nio(_ name: String) -> Target.Dependency { .product(name: name, package: "swift-nio") }
