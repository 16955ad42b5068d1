import Foundation
import RoostClient

// The command-line example of docs/client.md, compiled and run by RoostClientExampleTests;
// the test checks that the docs show exactly the lines between the markers.
// example:begin
/// Prints each device with its status, sends `ping` to the first online one and follows its
/// telemetry live for `seconds`.
func followFleet(server: URL, email: String, password: String, seconds: Double) async throws -> Int {
    let roost = RoostClient(server: server)
    try await roost.login(email: email, password: password)
    let devices = try await roost.devices()
    for device in devices {
        print(device.uid, device.status.rawValue, device.lastSeen.map { "\($0)" } ?? "never")
    }
    if let online = devices.first(where: { $0.status == .online }) {
        let command = try await roost.sendCommand(online.uid, "ping")
        print("sent \(command.command): \(command.status.rawValue)")
    }
    var received = 0
    let deadline = Date().addingTimeInterval(seconds)
    for try await event in roost.live(kinds: ["telemetry"]) {
        if event.type == "telemetry" {
            received += 1
            print(event.uid ?? "?", String(decoding: event.json, as: UTF8.self))
        }
        if Date() > deadline { break }
    }
    return received
}
// example:end
