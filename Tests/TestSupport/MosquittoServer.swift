public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A Mosquitto broker of its own for a test (the external broker Roost consumes from): a free
/// port on 127.0.0.1, anonymous clients, no persistence, the given extra configuration lines.
public final class MosquittoServer: Sendable {
    public let port: Int
    private let directory: URL
    private let process: ExternalProcess.Running

    /// Starts it and waits until it accepts connections. `lines` are appended to its
    /// configuration (e.g. `max_queued_messages 0`).
    public init(_ lines: [String] = []) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try freeTCPPort()
        let conf = directory.appendingPathComponent("mosquitto.conf")
        let text = (["listener \(port) 127.0.0.1", "allow_anonymous true", "persistence false"] + lines)
            .joined(separator: "\n") + "\n"
        try text.write(to: conf, atomically: true, encoding: .utf8)
        process = try ExternalProcess.Running("mosquitto", ["-c", conf.path])
        let deadline = Date().addingTimeInterval(10)
        while !canConnect(port: port) {
            guard process.isRunning, Date() < deadline else {
                let result = await process.wait(timeout: 1)
                throw ProcessMissing(name: "a running mosquitto (\(result))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// `mqtt://127.0.0.1:PORT`.
    public var url: String { "mqtt://127.0.0.1:\(port)" }

    /// Stops it (SIGTERM) and returns what it logged.
    @discardableResult
    public func stop() async -> String {
        process.terminate()
        let result = await process.wait(timeout: 10)
        try? FileManager.default.removeItem(at: directory)
        return result.output
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
public func freeTCPPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SpawnFailed(path: "socket", code: errno) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw SpawnFailed(path: "bind", code: errno) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
public func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
