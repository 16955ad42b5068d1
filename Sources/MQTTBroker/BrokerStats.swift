import Synchronization

/// Counters behind `$SYS/broker/...` and the metrics endpoint. Lock-free.
public final class BrokerStats: Sendable {
    let connected = Atomic<Int>(0)
    let connectionsTotal = Atomic<Int>(0)
    let messagesReceived = Atomic<Int>(0)
    let messagesSent = Atomic<Int>(0)
    let packetsReceived = Atomic<Int>(0)
    let packetsSent = Atomic<Int>(0)
    let bytesIn = Atomic<Int>(0)
    let bytesOut = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    let deniedCount = Atomic<Int>(0)
    let authFailures = Atomic<Int>(0)
    let protocolErrors = Atomic<Int>(0)
    let throttled = Atomic<Int>(0)

    init() {}

    func bytesReceived(_ n: Int) { bytesIn.add(n, ordering: .relaxed) }
    func packetReceived() { packetsReceived.add(1, ordering: .relaxed) }
    func messageReceived() { messagesReceived.add(1, ordering: .relaxed) }
    func sent(packets: Int, bytes: Int) {
        packetsSent.add(packets, ordering: .relaxed)
        bytesOut.add(bytes, ordering: .relaxed)
    }
    func messageDelivered(_ n: Int) { messagesSent.add(n, ordering: .relaxed) }
    func messageDropped() { dropped.add(1, ordering: .relaxed) }
    func denied() { deniedCount.add(1, ordering: .relaxed) }
    func authFailure() { authFailures.add(1, ordering: .relaxed) }
    func protocolError() { protocolErrors.add(1, ordering: .relaxed) }
    /// Counts a login refused unchecked (its address failed too often).
    public func loginThrottled() { throttled.add(1, ordering: .relaxed) }

    /// A point-in-time copy of every counter.
    public struct Snapshot: Sendable, Hashable {
        public var clientsConnected: Int
        public var connectionsTotal: Int
        public var messagesReceived: Int
        public var messagesSent: Int
        public var packetsReceived: Int
        public var packetsSent: Int
        public var bytesReceived: Int
        public var bytesSent: Int
        public var messagesDropped: Int
        public var denials: Int
        public var authFailures: Int
        public var protocolErrors: Int
        /// CONNECTs refused unchecked because their address failed too often.
        public var loginsThrottled: Int
    }

    /// Reads all counters.
    public var snapshot: Snapshot {
        Snapshot(
            clientsConnected: connected.load(ordering: .relaxed),
            connectionsTotal: connectionsTotal.load(ordering: .relaxed),
            messagesReceived: messagesReceived.load(ordering: .relaxed),
            messagesSent: messagesSent.load(ordering: .relaxed),
            packetsReceived: packetsReceived.load(ordering: .relaxed),
            packetsSent: packetsSent.load(ordering: .relaxed),
            bytesReceived: bytesIn.load(ordering: .relaxed),
            bytesSent: bytesOut.load(ordering: .relaxed),
            messagesDropped: dropped.load(ordering: .relaxed),
            denials: deniedCount.load(ordering: .relaxed),
            authFailures: authFailures.load(ordering: .relaxed),
            protocolErrors: protocolErrors.load(ordering: .relaxed),
            loginsThrottled: throttled.load(ordering: .relaxed))
    }
}
