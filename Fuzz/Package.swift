// swift-tools-version:6.1
// The MQTT codec under libFuzzer: its own package so that the server's build never carries
// sanitizer flags. Built and run by scripts/fuzz.
import PackageDescription

let package = Package(
    name: "roost-fuzz",
    dependencies: [
        .package(name: "roost", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "MQTTDecodeFuzz",
            dependencies: [
                .product(name: "MQTTCore", package: "roost"),
                .product(name: "MQTTFixtures", package: "roost"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        )
    ]
)
