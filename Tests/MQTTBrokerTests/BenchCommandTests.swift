import Foundation
import Testing

/// `roost bench` runs `roost-bench`, built beside `roost` (the server binary carries no
/// benchmark code), with the arguments it was given.
@Suite("roost bench")
struct BenchCommandTests {
    @Test("roost bench hands its arguments to roost-bench, help and errors included")
    func forwards() async throws {
        let help = try await ExternalProcess.run(ServeProcessTests.binary, ["bench", "--help"])
        #expect(help.status == 0 && help.output.contains("USAGE: roost-bench"), "\(help.output)")
        let wrong = try await ExternalProcess.run(ServeProcessTests.binary, ["bench", "--mode", "nonsense"])
        #expect(wrong.status != 0 && wrong.output.contains("--mode must be pubsub, idle, store"), "\(wrong.output)")
        #expect(wrong.output.contains("command") && wrong.output.contains("realtime-idle"), "\(wrong.output)")
        // A bounded run against no broker fails fast with the tool's own message.
        let refused = try await ExternalProcess.run(
            ServeProcessTests.binary, ["bench", "--port", "1", "--publishers", "1", "--subscribers", "0", "--duration", "1"])
        #expect(refused.status != 0, "\(refused.output)")
    }
}
