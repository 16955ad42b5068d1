public import RoostStore

/// How commands reach devices: the broker in this process (``CommandService`` is given an
/// adapter over it), or an external broker on a fleet.
public protocol CommandTransport: Sendable {
    /// Whether the device of `command` can take a message on `topic` now (a command waits in
    /// the store otherwise): on the broker in this process, a connected client subscribes to
    /// it; behind an external broker, the device is online.
    func isListening(_ topic: String, for command: CommandRecord) async -> Bool
    /// Publishes a command at QoS 1 with an MQTT 5 response topic and correlation data. The
    /// receipt rides on the message: the transport reports it when the device's client
    /// acknowledges the message (``CommandService/delivered(_:)``). Returns `false` when the
    /// broker refused the message.
    func publish(_ command: OutgoingCommand) -> Bool
}

/// A command message ready to publish.
public struct OutgoingCommand: Sendable {
    public var topic: String
    /// `{"id","command","params"}`.
    public var payload: [UInt8]
    /// The device's ack topic, as the MQTT 5 response topic.
    public var responseTopic: String?
    /// The command id, as MQTT 5 correlation data.
    public var correlation: String
    /// Handed back on delivery.
    public var receipt: CommandReceipt
}

/// Rides on a published command as the message's attachment: which command a PUBACK is for.
public final class CommandReceipt: Sendable {
    /// The command's id.
    public let id: String

    public init(id: String) { self.id = id }
}
