import Foundation
@_exported import TestSupport

/// Path of a file in Tests/MQTTBrokerTests/Peers.
func peerScript(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Peers").appendingPathComponent(name).path
}
